#!/usr/bin/python3
# Image archives for test-archive.sh, written the way other tools write them, plus hostile variants.
#
#   archive-tool.py docker-legacy LAYOUT REF TAG OUT   `docker save` up to Docker 24: <v1 id>/layer.tar,
#                                                      <v1 id>/json, <v1 id>/VERSION, <config hex>.json,
#                                                      manifest.json, repositories
#   archive-tool.py docker-oci LAYOUT REF TAG OUT      `docker save` from Docker 25: an OCI layout with
#                                                      uncompressed layers plus manifest.json naming
#                                                      blobs/sha256/... and repositories
#   archive-tool.py hostile KIND IN OUT                a docker-archive IN (as skopeo writes it) made hostile:
#       dotdot-member       an extra member named ../../x
#       absolute-member     an extra member named /x
#       layer-path-outside  manifest.json names ../../../etc/passwd as the first layer
#       diffid-mismatch     the first layer's file holds another (valid) tar
#       symlink-escape      the first layer's file is a symlink to ../../../../etc/shadow
#       config-tampered     the config's content no longer matches its file name
#   archive-tool.py hostile-oci KIND IN OUT            an oci-archive IN made hostile:
#       layer-tampered      one byte of the first layer blob flipped (size unchanged)
#
# LAYOUT REF: an OCI layout and its ref name; an index picks the first linux image of this machine's
# architecture. TAG: the RepoTags entry ("localhost/x:1"). Only the standard library and zstd(1).
import gzip
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def arch():
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def resolve(layout, ref):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for d in index["manifests"]:
        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            break
    else:
        sys.exit(f"archive-tool: no ref {ref} in {layout}")
    m = json.loads(blob(layout, d["digest"]))
    if "manifests" in m:
        for e in m["manifests"]:
            p = e.get("platform", {})
            if p.get("os") == "linux" and p.get("architecture") == arch():
                m = json.loads(blob(layout, e["digest"]))
                break
        else:
            sys.exit("archive-tool: no image for this machine in the index")
    config = blob(layout, m["config"]["digest"])
    layers = []
    for layer in m["layers"]:
        data = blob(layout, layer["digest"])
        if layer["mediaType"].endswith("+gzip"):
            data = gzip.decompress(data)
        elif layer["mediaType"].endswith("+zstd"):
            data = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout
        layers.append(data)
    return config, layers


def add(tar, name, data=b"", kind=tarfile.REGTYPE, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = 0o644
    ti.mtime = 0
    if kind == tarfile.REGTYPE:
        ti.size = len(data)
        tar.addfile(ti, io.BytesIO(data))
    else:
        ti.linkname = linkname
        tar.addfile(ti)


def split_tag(tag):
    name, _, t = tag.rpartition(":")
    return name, t


def docker_legacy(layout, ref, tag, out):
    config, layers = resolve(layout, ref)
    config_hex = sha(config).split(":")[1]
    parent, paths = "", []
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
        for data in layers:
            v1 = hashlib.sha256((sha(data) + parent).encode()).hexdigest()
            meta = {"id": v1, "created": "1970-01-01T00:00:00Z", "config": {}}
            if parent:
                meta["parent"] = parent
            add(t, v1 + "/VERSION", b"1.0")
            add(t, v1 + "/json", json.dumps(meta).encode())
            add(t, v1 + "/layer.tar", data)
            paths.append(v1 + "/layer.tar")
            parent = v1
        add(t, config_hex + ".json", config)
        name, t_ = split_tag(tag)
        add(t, "manifest.json",
            json.dumps([{"Config": config_hex + ".json", "RepoTags": [tag], "Layers": paths}]).encode())
        add(t, "repositories", json.dumps({name: {t_: parent}}).encode())


def docker_oci(layout, ref, tag, out):
    config, layers = resolve(layout, ref)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        descs = []
        for data in layers:
            add(t, "blobs/sha256/" + sha(data).split(":")[1], data)
            descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(data),
                          "size": len(data)})
        add(t, "blobs/sha256/" + sha(config).split(":")[1], config)
        manifest = json.dumps({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                          "digest": sha(config), "size": len(config)},
                               "layers": descs}).encode()
        add(t, "blobs/sha256/" + sha(manifest).split(":")[1], manifest)
        name, t_ = split_tag(tag)
        full = tag if "/" in name else "docker.io/library/" + tag
        add(t, "index.json", json.dumps({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [
            {"mediaType": MT_OCI_MANIFEST, "digest": sha(manifest), "size": len(manifest),
             "annotations": {"io.containerd.image.name": full, "org.opencontainers.image.ref.name": t_}}]}).encode())
        add(t, "manifest.json", json.dumps([{"Config": "blobs/sha256/" + sha(config).split(":")[1],
                                             "RepoTags": [tag],
                                             "Layers": [d["digest"].replace("sha256:", "blobs/sha256/")
                                                        for d in descs]}]).encode())
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')


def read_members(path):
    members = []
    with tarfile.open(path) as t:
        for m in t.getmembers():
            members.append((m, t.extractfile(m).read() if m.isfile() else None))
    return members


def write_members(path, members, extra_first=()):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in extra_first:
            add(t, name, data)
        for m, data in members:
            if data is None:
                t.addfile(m)
            else:
                m.size = len(data)
                t.addfile(m, io.BytesIO(data))


def evil_tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        add(t, "evil", b"not the layer the config names\n")
    return buf.getvalue()


def hostile(kind, src, out):
    members = read_members(src)
    by_name = {m.name: i for i, (m, _) in enumerate(members)}
    manifest = json.loads(members[by_name["manifest.json"]][1])
    first = manifest[0]["Layers"][0]
    if kind == "dotdot-member":
        write_members(out, members, [("../../x", b"outside\n")])
    elif kind == "absolute-member":
        write_members(out, members, [("/x", b"outside\n")])
    elif kind == "layer-path-outside":
        manifest[0]["Layers"][0] = "../../../etc/passwd"
        i = by_name["manifest.json"]
        members[i] = (members[i][0], json.dumps(manifest).encode())
        write_members(out, members)
    elif kind == "diffid-mismatch":
        i = by_name[first]
        members[i] = (members[i][0], evil_tar())
        write_members(out, members)
    elif kind == "symlink-escape":
        i = by_name[first]
        ti = tarfile.TarInfo(first)
        ti.type = tarfile.SYMTYPE
        ti.linkname = "../../../../etc/shadow"
        members[i] = (ti, None)
        write_members(out, members)
    elif kind == "config-tampered":
        i = by_name[manifest[0]["Config"]]
        config = json.loads(members[i][1])
        config.setdefault("config", {})["Cmd"] = ["/evil"]
        members[i] = (members[i][0], json.dumps(config).encode())
        write_members(out, members)
    else:
        sys.exit(f"archive-tool: unknown hostile kind {kind}")


def hostile_oci(kind, src, out):
    members = read_members(src)
    by_name = {m.name: i for i, (m, _) in enumerate(members)}
    index = json.loads(members[by_name["index.json"]][1])
    m = json.loads(members[by_name["blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]]][1])
    if kind != "layer-tampered":
        sys.exit(f"archive-tool: unknown hostile-oci kind {kind}")
    i = by_name["blobs/sha256/" + m["layers"][0]["digest"].split(":")[1]]
    data = bytearray(members[i][1])
    data[len(data) // 2] ^= 0xFF
    members[i] = (members[i][0], bytes(data))
    write_members(out, members)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "docker-legacy" and len(args) == 4:
        docker_legacy(*args)
    elif cmd == "docker-oci" and len(args) == 4:
        docker_oci(*args)
    elif cmd == "hostile" and len(args) == 3:
        hostile(*args)
    elif cmd == "hostile-oci" and len(args) == 3:
        hostile_oci(*args)
    else:
        sys.exit("usage: see the header of archive-tool.py")


if __name__ == "__main__":
    main()
