#!/usr/bin/env python3
"""Writes malformed variants of the placed models and tokenizers for the hostile-file suite
(tests/cli/hostile_files_test.cpp): truncations at structural boundaries, flipped bits in headers
and metadata, counts and lengths up to 2^63, offsets past the end or overlapping, wrong types,
duplicate keys, non-finite values. Deterministic (fixed seeds), stdlib only.

Usage: make_hostile_files.py MODELS_DIR OUT_DIR [SOURCE ...]
(SOURCE: stories_gguf, stories_bin, tok512_bin, tok512_model, vocab_spm, gpt2; default all).
OUT_DIR/manifest.tsv lists one variant a line: file name, role (gguf_model, llama2c_model or
tokenizer: how the test runs it) and the commands that must fail (info,generate,tokenize or -).
Every other command may succeed or fail, but only ever cleanly."""
import os
import random
import struct
import sys

ALL = "info,generate,tokenize"
NAN, INF = float("nan"), float("inf")


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def patch(data, offset, raw):
    return data[:offset] + raw + data[offset + len(raw):]


def flip_bits(data, rng, begin, end, count):
    out = bytearray(data)
    for _ in range(count):
        at = rng.randrange(begin, end)
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def evenly(items, count):
    """At most `count` of `items`, spread from first to last."""
    if len(items) <= count:
        return list(items)
    return [items[i * (len(items) - 1) // (count - 1)] for i in range(count)]


# ---- GGUF ------------------------------------------------------------------------------------
SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9


class Gguf:
    """The byte layout of a GGUF file: each key-value pair and tensor info as a raw chunk."""

    def __init__(self, data):
        self.data = data
        self.version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
        pos = 24
        self.kvs = []
        for _ in range(n_kv):
            kv = {"start": pos}
            key_len = struct.unpack_from("<Q", data, pos)[0]
            kv["key"] = data[pos + 8:pos + 8 + key_len].decode()
            pos += 8 + key_len
            kv["type_at"] = pos
            kv["type"] = struct.unpack_from("<I", data, pos)[0]
            kv["value_at"] = pos + 4
            pos = self._skip_value(kv["type"], pos + 4)
            kv["end"] = pos
            self.kvs.append(kv)
        self.alignment = self.scalar("general.alignment") or 32
        self.tensors = []
        for _ in range(n_tensors):
            t = {"start": pos}
            name_len = struct.unpack_from("<Q", data, pos)[0]
            t["name"] = data[pos + 8:pos + 8 + name_len].decode()
            pos += 8 + name_len
            t["ndims_at"] = pos
            n_dims = struct.unpack_from("<I", data, pos)[0]
            t["dims"] = list(struct.unpack_from("<%dQ" % n_dims, data, pos + 4))
            pos += 4 + 8 * n_dims
            t["type_at"], t["offset_at"] = pos, pos + 4
            t["type"], t["offset"] = struct.unpack_from("<IQ", data, pos)
            pos += 12
            t["end"] = pos
            self.tensors.append(t)
        self.infos_end = pos
        self.data_start = pos + (-pos % self.alignment) if self.tensors else pos

    def _skip_value(self, type_id, pos):
        if type_id in SCALAR:
            return pos + SCALAR[type_id]
        if type_id == STRING:
            return pos + 8 + struct.unpack_from("<Q", self.data, pos)[0]
        elem, count = struct.unpack_from("<IQ", self.data, pos)
        pos += 12
        if elem in SCALAR:
            return pos + SCALAR[elem] * count
        for _ in range(count):
            pos = self._skip_value(elem, pos)
        return pos

    def kv(self, key):
        return next((kv for kv in self.kvs if kv["key"] == key), None)

    def scalar(self, key):
        kv = self.kv(key)
        if kv is None or kv["type"] not in (4, 10):
            return None
        return struct.unpack_from("<I" if kv["type"] == 4 else "<Q", self.data, kv["value_at"])[0]

    def chunk(self, item):
        return self.data[item["start"]:item["end"]]

    def rebuild(self, kv_chunks, tensor_chunks):
        """A file with these key-value and tensor-info chunks over the same tensor data."""
        head = b"GGUF" + struct.pack("<IQQ", self.version, len(tensor_chunks), len(kv_chunks))
        head += b"".join(kv_chunks) + b"".join(tensor_chunks)
        if not self.tensors:
            return head
        return head + b"\0" * (-len(head) % self.alignment) + self.data[self.data_start:]

    def with_kv(self, key, chunk):
        """The file with `key`'s pair replaced by `chunk` (None: removed), or added."""
        kvs = [chunk if kv["key"] == key else self.chunk(kv) for kv in self.kvs]
        if not self.kv(key):
            kvs.append(chunk)
        return self.rebuild([c for c in kvs if c is not None], [self.chunk(t) for t in self.tensors])


def gguf_string(s):
    b = s.encode()
    return u64(len(b)) + b


def kv_chunk(key, type_id, raw):
    return gguf_string(key) + u32(type_id) + raw


def gguf_variants(data, model):
    """(name, bytes, must_fail) for a GGUF model (model=True) or vocabulary file."""
    g = Gguf(data)
    fail_model = "info,generate" if model else "generate"
    fail_vocab = "generate,tokenize"
    out = []
    # Truncations: the header fields, each pair's key, type and value, each tensor info, the data.
    cuts = [0, 4, 8, 16, 24]
    for kv in evenly(g.kvs, 4):
        cuts += [kv["start"] + 4, (kv["value_at"] + kv["end"]) // 2]
    for t in evenly(g.tensors, 3):
        cuts += [t["ndims_at"] + 2, t["end"]]
    if g.tensors:
        cuts += [g.infos_end, g.data_start + 1, (g.data_start + len(data)) // 2]
    cuts.append(len(data) - 1)
    out += [("cut%d" % c, data[:c], ALL) for c in sorted(set(cuts))]
    # The header: versions, tensor and pair counts up to 2^64 - 1.
    for v in [0, 4, 0xFFFFFFFF]:
        out.append(("version%d" % v, patch(data, 4, u32(v)), ALL))
    for n in [len(g.tensors) + 1, 1 << 63]:
        out.append(("ntensors%d" % n, patch(data, 8, u64(n)), ALL))
    for n in [len(g.kvs) + 1, 1 << 63]:
        out.append(("nkv%d" % n, patch(data, 16, u64(n)), ALL))
    # Key-value pairs: lengths, counts and types out of range, duplicates, removals.
    for kv in evenly(g.kvs, 3):
        i = g.kvs.index(kv)
        out.append(("kv%d_keylen2^63" % i, patch(data, kv["start"], u64(1 << 63)), ALL))
        out.append(("kv%d_type13" % i, patch(data, kv["type_at"], u32(13)), ALL))
        if kv["type"] in (STRING, ARRAY):
            length_at = kv["value_at"] + (4 if kv["type"] == ARRAY else 0)
            for n in [1 << 63, 1 << 32]:
                out.append(("kv%d_len%d" % (i, n), patch(data, length_at, u64(n)), ALL))
        if kv["type"] == ARRAY:
            out.append(("kv%d_elemtype13" % i, patch(data, kv["value_at"], u32(13)), ALL))
        dup = g.rebuild([g.chunk(k) for k in g.kvs[:i + 1]] + [g.chunk(kv)] +
                        [g.chunk(k) for k in g.kvs[i + 1:]], [g.chunk(t) for t in g.tensors])
        out.append(("kv%d_duplicate" % i, dup, "-"))
    required = ["general.architecture", "tokenizer.ggml.tokens", "tokenizer.ggml.model"]
    for key in [k["key"] for k in g.kvs if k["key"] in required]:
        fails = fail_model if key == "general.architecture" else fail_vocab
        out.append(("drop_" + key, g.with_kv(key, None), fails))
    # Values: hyper-parameters, epsilons, RoPE bases and special ids out of range or non-finite.
    arch = "gpt2" if g.kv("gpt2.embedding_length") else "llama"
    for name in ["embedding_length", "block_count", "context_length", "attention.head_count_kv"]:
        key = "%s.%s" % (arch, name)
        if not g.kv(key):
            continue
        out.append(("%s=0" % key, g.with_kv(key, kv_chunk(key, 4, u32(0))), fail_model))
        out.append(("%s=2^63" % key, g.with_kv(key, kv_chunk(key, 10, u64(1 << 63))), fail_model))
        out.append(("%s=string" % key, g.with_kv(key, kv_chunk(key, STRING, gguf_string("8"))),
                    fail_model))
    for key in ["%s.attention.layer_norm_rms_epsilon" % arch, "%s.attention.layer_norm_epsilon" % arch,
                "%s.rope.freq_base" % arch]:
        if g.kv(key) or (model and key == "llama.rope.freq_base"):
            for name, v in [("nan", NAN), ("inf", INF), ("-inf", -INF), ("0", 0.0)]:
                out.append(("%s=%s" % (key, name), g.with_kv(key, kv_chunk(key, 6, struct.pack("<f", v))),
                            fail_model))
    for key in ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id"]:
        for n in [1000000, 0xFFFFFFFF]:
            out.append(("%s=%d" % (key, n), g.with_kv(key, kv_chunk(key, 4, u32(n))), fail_vocab))
    if g.kv("tokenizer.ggml.model"):
        key = "tokenizer.ggml.model"
        out.append(("tokenizer_model_bogus", g.with_kv(key, kv_chunk(key, STRING, gguf_string("bogus"))),
                    fail_vocab))
    scores = g.kv("tokenizer.ggml.scores")
    if scores:
        first = scores["value_at"] + 12
        out.append(("score_nan", patch(data, first + 4 * 5, struct.pack("<f", NAN)), fail_vocab))
        count = struct.unpack_from("<Q", data, scores["value_at"] + 4)[0]
        short = data[scores["start"]:scores["value_at"]] + struct.pack("<IQ", 6, count - 1)
        short += data[first:scores["end"] - 4]
        out.append(("scores_one_short", g.with_kv("tokenizer.ggml.scores", short), fail_vocab))
    types = g.kv("tokenizer.ggml.token_type")
    if types:
        out.append(("token_type99", patch(data, types["value_at"] + 12 + 4 * 9, struct.pack("<i", 99)),
                    "-"))
    # Tensor infos: dimensions, types and offsets out of range, overlaps, duplicates, removals.
    infos = [g.chunk(t) for t in g.tensors]
    kvs = [g.chunk(kv) for kv in g.kvs]
    for t in evenly(g.tensors, 2):
        i = g.tensors.index(t)
        for n in [0, 5]:
            out.append(("t%d_ndims%d" % (i, n), patch(data, t["ndims_at"], u32(n)), ALL))
        for n in [0, 1 << 63, t["dims"][0] + 1]:
            out.append(("t%d_dim%d" % (i, n), patch(data, t["ndims_at"] + 4, u64(n)), ALL))
        for n in [99]:
            out.append(("t%d_type%d" % (i, n), patch(data, t["type_at"], u32(n)), ALL))
        for n in [1, 8, 30]:  # f16, q8_0, bf16 over f32 bytes: legal sizes, other values
            out.append(("t%d_retype%d" % (i, n), patch(data, t["type_at"], u32(n)), "-"))
        for n in [1 << 63, len(data), t["offset"] + 1]:
            out.append(("t%d_offset%d" % (i, n), patch(data, t["offset_at"], u64(n)), ALL))
        other = g.tensors[(i + 1) % len(g.tensors)]
        out.append(("t%d_overlaps" % i, patch(data, t["offset_at"], u64(other["offset"])), "-"))
        renamed = gguf_string(other["name"]) + data[t["ndims_at"]:t["end"]]
        out.append(("t%d_duplicate_name" % i, g.rebuild(kvs, infos[:i] + [renamed] + infos[i + 1:]),
                    fail_model))
        out.append(("t%d_dropped" % i, g.rebuild(kvs, infos[:i] + infos[i + 1:]), fail_model))
    if g.tensors:
        stray = gguf_string("blk.99.stray.weight") + data[g.tensors[0]["ndims_at"]:g.tensors[0]["end"]]
        out.append(("stray_tensor", g.rebuild(kvs, infos + [stray]), fail_model))
    # Tensor data: non-finite weights (the logits of a NaN norm are all NaN).
    for t in g.tensors:
        at = g.data_start + t["offset"]
        if t["name"] == "output_norm.weight":
            out.append(("nan_output_norm", patch(data, at, struct.pack("<4f", *[NAN] * 4)), "generate"))
        if t["name"] == "token_embd.weight" and t["type"] == 0:
            out.append(("inf_embedding", patch(data, at + 4 * t["dims"][0] * 3, struct.pack("<f", INF)), "-"))
    # Flipped bits in the header and metadata (seeded: the same files every run).
    rng = random.Random(len(data))
    for k in range(8):
        out.append(("flip%d" % k, flip_bits(data, rng, 0, g.infos_end, 1 + k % 3), "-"))
    return out


def gpt2_variants(data):
    """A few of the GGUF variants of a 28 MB model: truncations in its metadata and tensor infos,
    and at full size the defects only its layout reaches (a retyped classifier, a NaN norm)."""
    g = Gguf(data)
    cuts = [24] + [kv["value_at"] + 9 for kv in evenly(g.kvs, 5)]
    cuts += [t["offset_at"] for t in evenly(g.tensors, 3)] + [(g.data_start + len(data)) // 2]
    out = [("cut%d" % c, data[:c], ALL) for c in cuts]
    by_name = {t["name"]: t for t in g.tensors}
    out.append(("output_retyped_f16", patch(data, by_name["output.weight"]["type_at"], u32(1)), "-"))
    norm = g.data_start + by_name["output_norm.weight"]["offset"]
    out.append(("nan_output_norm", patch(data, norm, struct.pack("<4f", *[NAN] * 4)), "generate"))
    eps = g.kv("gpt2.attention.layer_norm_epsilon")
    out.append(("eps_inf", patch(data, eps["value_at"], struct.pack("<f", INF)), "info,generate"))
    return out


# ---- llama2.c checkpoint ---------------------------------------------------------------------
def llama2c_variants(data):
    dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack_from("<7i", data, 0)
    kv_dim, head = dim // heads * kv_heads, dim // heads
    sizes = [vocab * dim, layers * dim, layers * dim * dim, layers * dim * kv_dim,
             layers * dim * kv_dim, layers * dim * dim, layers * dim, layers * hidden * dim,
             layers * dim * hidden, layers * hidden * dim, dim, seq * head // 2, seq * head // 2]
    bounds, at = [], 28
    for n in sizes:
        bounds.append(at)
        at += 4 * n
    rms_final = bounds[10]
    out = [("cut%d" % c, data[:c], "info,generate")
           for c in sorted({0, 3, 27, 28, 29, len(data) - 1} | set(bounds[1:]))]
    fields = ["dim", "hidden", "layers", "heads", "kv_heads", "vocab", "seq"]
    for i, name in enumerate(fields):
        value = struct.unpack_from("<i", data, 4 * i)[0]
        for n in [0, -1, 0x7FFFFFFF, value + 1]:
            out.append(("%s=%d" % (name, n), patch(data, 4 * i, struct.pack("<i", n)), "info,generate"))
    out.append(("appended1", data + b"\0", "info,generate"))
    out.append(("nan_rms_final", patch(data, rms_final, struct.pack("<%df" % dim, *[NAN] * dim)),
                "generate"))
    out.append(("inf_embedding", patch(data, 28 + 4 * dim * 5, struct.pack("<f", INF)), "-"))
    rng = random.Random(len(data))
    out += [("flip%d" % k, flip_bits(data, rng, 0, 28, 1 + k % 2), "-") for k in range(6)]
    return out


# ---- llama2.c tokenizer.bin ------------------------------------------------------------------
def tokenizer_bin_variants(data):
    pieces, at = [], 4
    while at < len(data):
        length = struct.unpack_from("<i", data, at + 4)[0]
        pieces.append((at, length))
        at += 8 + length
    fail = "generate,tokenize"
    out = [("cut%d" % c, data[:c], fail) for c in [0, 2, 4 + 3, pieces[5][0] + 6, len(data) - 1]]
    out.append(("cut_no_pieces", data[:4], fail))
    out.append(("cut_300_pieces", data[:pieces[300][0]], "generate"))
    for n in [0, -1, 0x7FFFFFFF, 1]:
        out.append(("max_token_length=%d" % n, patch(data, 0, struct.pack("<i", n)), "-"))
    for k in [0, 3, 300, len(pieces) - 1]:
        start = pieces[k][0]
        for n in [-1, 0x7FFFFFFF, len(data)]:
            out.append(("piece%d_len%d" % (k, n), patch(data, start + 4, struct.pack("<i", n)), fail))
        out.append(("piece%d_len0" % k, patch(data, start + 4, struct.pack("<i", 0)), fail))
        out.append(("piece%d_score_nan" % k, patch(data, start, struct.pack("<f", NAN)), fail))
        out.append(("piece%d_score_inf" % k, patch(data, start, struct.pack("<f", INF)), "-"))
    # Piece 300 spelled like another piece of the same length: a duplicate.
    (a, la), twin = pieces[300], next(p for p in pieces[301:] if p[1] == pieces[300][1])
    out.append(("duplicate_piece", patch(data, a + 8, data[twin[0] + 8:twin[0] + 8 + la]), fail))
    rng = random.Random(len(data))
    out += [("flip%d" % k, flip_bits(data, rng, 0, len(data), 2 + k), "-") for k in range(5)]
    return out


# ---- SentencePiece .model (protobuf) ---------------------------------------------------------
def varint(v):
    out = b""
    while True:
        b, v = v & 0x7F, v >> 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


def read_varint(data, at):
    v, shift = 0, 0
    while True:
        b = data[at]
        v |= (b & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not b & 0x80:
            return v, at


def proto_fields(data):
    """(number, start, value_start, end) of each top-level length-delimited field."""
    fields, at = [], 0
    while at < len(data):
        tag, value_at = read_varint(data, at)
        length, body = read_varint(data, value_at)
        assert tag & 7 == 2, "ModelProto's top-level fields are all messages"
        fields.append((tag >> 3, at, body, body + length))
        at = body + length
    return fields


def sentencepiece_variants(data):
    fields = proto_fields(data)
    pieces = [f for f in fields if f[0] == 1]
    trainer = next(f for f in fields if f[0] == 2)
    fail = "generate,tokenize"
    out = [("cut%d" % c, data[:c], fail)
           for c in [1, 2, pieces[3][2] + 1, pieces[100][1] + 1, trainer[2] + 5, len(data) - 1]]
    out.append(("cut_after_300_pieces", data[:pieces[300][1]], "generate"))
    for n in [1 << 63, (1 << 64) - 1, len(data)]:
        _, start, body, end = pieces[10]
        out.append(("piece10_len%d" % n, data[:start] + b"\x0a" + varint(n) + data[body:], fail))
    out.append(("overlong_varint", data[:pieces[10][1]] + b"\x0a" + b"\x80" * 11 + b"\x01", fail))

    def with_piece(k, extra):
        _, start, body, end = pieces[k]
        message = data[body:end] + extra
        return data[:start] + b"\x0a" + varint(len(message)) + message + data[end:]

    # Later fields win in protobuf: an extra score or type overrides the piece's own.
    out.append(("piece10_score_nan", with_piece(10, b"\x15" + struct.pack("<f", NAN)), "-"))
    out.append(("piece10_type99", with_piece(10, b"\x18" + varint(99)), "-"))
    out.append(("piece10_type_unknown", with_piece(10, b"\x18\x02"), fail))  # a second <unk>
    dup_at = pieces[-1][3]
    out.append(("duplicate_piece", data[:dup_at] + data[pieces[10][1]:pieces[10][3]] + data[dup_at:], fail))
    _, start, body, end = trainer
    message = data[body:end] + b"\x18\x01"  # model_type UNIGRAM
    out.append(("unigram", data[:start] + b"\x12" + varint(len(message)) + message + data[end:], fail))
    rng = random.Random(len(data))
    out += [("flip%d" % k, flip_bits(data, rng, 0, len(data), 2 + k), "-") for k in range(5)]
    return out


# ---- main ------------------------------------------------------------------------------------
def main():
    models, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)

    def read(name):
        with open(os.path.join(models, name), "rb") as f:
            return f.read()

    sources = {
        "stories_gguf": ("gguf_model", lambda: gguf_variants(read("stories260K.gguf"), True)),
        "stories_bin": ("llama2c_model", lambda: llama2c_variants(read("stories260K.bin"))),
        "tok512_bin": ("tokenizer", lambda: tokenizer_bin_variants(read("tok512.bin"))),
        "tok512_model": ("tokenizer", lambda: sentencepiece_variants(read("tok512.model"))),
        "vocab_spm": ("tokenizer", lambda: gguf_variants(
            read("llamacpp-vocab/ggml-vocab-llama-spm.gguf"), False)),
        "gpt2": ("gguf_model", lambda: gpt2_variants(read("gpt2-tiny-random.gguf"))),
    }
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as manifest:
        for prefix in sys.argv[3:] or sources:
            role, make = sources[prefix]
            for name, data, must_fail in make():
                file_name = "%s-%s" % (prefix, name.replace("/", "_"))
                with open(os.path.join(out_dir, file_name), "wb") as f:
                    f.write(data)
                manifest.write("%s\t%s\t%s\n" % (file_name, role, must_fail))


if __name__ == "__main__":
    main()
