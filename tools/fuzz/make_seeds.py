#!/usr/bin/env python3
"""Writes the tiny seed corpora of the fuzz targets into the directory given (a few KB in all):
GGUF files (a llama model with its SentencePiece vocabulary, a GPT-2 byte-level vocabulary, every
metadata value type), llama2.c checkpoints (legacy and "ak42" v1). The SentencePiece seed is
models/tok512.model, copied by run.sh."""
import os
import struct
import sys


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class Gguf:
    def __init__(self, version=3):
        self.version, self.kv, self.infos, self.data, self.n_kv, self.n_tensors = version, b"", b"", b"", 0, 0

    def add(self, key, type_id, value):
        self.kv += gguf_string(key) + struct.pack("<I", type_id) + value
        self.n_kv += 1
        return self

    def u32(self, key, v):
        return self.add(key, 4, struct.pack("<I", v))

    def f32(self, key, v):
        return self.add(key, 6, struct.pack("<f", v))

    def string(self, key, v):
        return self.add(key, 8, gguf_string(v))

    def array(self, key, type_id, fmt, values):
        body = b"".join(gguf_string(v) if type_id == 8 else struct.pack("<" + fmt, v) for v in values)
        return self.add(key, 9, struct.pack("<IQ", type_id, len(values)) + body)

    def tensor(self, name, dims, floats):
        self.data += b"\0" * (-len(self.data) % 32)
        self.infos += gguf_string(name) + struct.pack("<I", len(dims))
        self.infos += b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", 0, len(self.data))
        self.data += struct.pack("<%df" % len(floats), *floats)
        self.n_tensors += 1
        return self

    def bytes(self):
        out = b"GGUF" + struct.pack("<IQQ", self.version, self.n_tensors, self.n_kv) + self.kv + self.infos
        if self.n_tensors:
            out += b"\0" * (-len(out) % 32)
        return out + self.data


def values(n, seed):
    return [((i * 7919 + seed * 104729) % 200 - 100) / 100.0 for i in range(n)]


DIM, HIDDEN, HEADS, KV_HEADS, VOCAB, CTX = 8, 16, 2, 1, 8, 16
KV_DIM = DIM // HEADS * KV_HEADS


def llama_gguf(version=3):
    g = Gguf(version)
    g.string("general.architecture", "llama").u32("llama.context_length", CTX)
    g.u32("llama.embedding_length", DIM).u32("llama.feed_forward_length", HIDDEN)
    g.u32("llama.block_count", 1).u32("llama.attention.head_count", HEADS)
    g.u32("llama.attention.head_count_kv", KV_HEADS).u32("llama.rope.dimension_count", DIM // HEADS)
    g.f32("llama.attention.layer_norm_rms_epsilon", 1e-5).f32("llama.rope.freq_base", 10000.0)
    g.string("tokenizer.ggml.model", "llama")
    g.array("tokenizer.ggml.tokens", 8, "", ["<unk>", "<s>", "</s>", "<0x0A>", "\u2581", "a", "\u2581a", "b"])
    g.array("tokenizer.ggml.scores", 6, "f", [0, 0, 0, 0, -1, -2, -3, -4])
    g.array("tokenizer.ggml.token_type", 5, "i", [2, 3, 3, 6, 1, 1, 1, 1])
    g.u32("tokenizer.ggml.bos_token_id", 1).u32("tokenizer.ggml.eos_token_id", 2)
    g.tensor("token_embd.weight", [DIM, VOCAB], values(DIM * VOCAB, 1))
    shapes = [("attn_norm", [DIM]), ("attn_q", [DIM, DIM]), ("attn_k", [DIM, KV_DIM]),
              ("attn_v", [DIM, KV_DIM]), ("attn_output", [DIM, DIM]), ("ffn_norm", [DIM]),
              ("ffn_gate", [DIM, HIDDEN]), ("ffn_down", [HIDDEN, DIM]), ("ffn_up", [DIM, HIDDEN])]
    for i, (name, dims) in enumerate(shapes):
        count = dims[0] * (dims[1] if len(dims) > 1 else 1)
        g.tensor("blk.0.%s.weight" % name, dims, values(count, i + 2))
    return g.tensor("output_norm.weight", [DIM], values(DIM, 20)).bytes()


def gpt2_vocab():
    printable = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or b >= 174]
    spelling, extra = {}, 0
    for b in range(256):
        if b in printable:
            spelling[b] = chr(b)
        else:
            spelling[b] = chr(256 + extra)
            extra += 1
    tokens = [spelling[b] for b in range(256)] + ["\u0120t", "he", "\u0120the", "<|endoftext|>"]
    g = Gguf().string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "gpt-2")
    g.array("tokenizer.ggml.tokens", 8, "", tokens)
    g.array("tokenizer.ggml.token_type", 5, "i", [1] * 259 + [3])
    g.array("tokenizer.ggml.merges", 8, "", ["\u0120 t", "h e", "\u0120t he"])
    return g.u32("tokenizer.ggml.bos_token_id", 259).u32("tokenizer.ggml.eos_token_id", 259).bytes()


def every_value_type():
    g = Gguf(2).u32("general.alignment", 64)
    for type_id, fmt, v in [(0, "B", 1), (1, "b", -1), (2, "H", 2), (3, "h", -2), (5, "i", -3),
                            (7, "B", 1), (10, "Q", 4), (11, "q", -4), (12, "d", 0.5)]:
        g.add("v.t%d" % type_id, type_id, struct.pack("<" + fmt, v))
    nested = struct.pack("<IQ", 0, 2) + b"\x01\x02" + struct.pack("<IQ", 0, 1) + b"\x03"
    g.add("v.nested", 9, struct.pack("<IQ", 9, 2) + nested)
    return g.tensor("t", [4, 2], values(8, 3)).bytes()


def llama2c_checkpoint(v1):
    dim, hidden, layers, heads, kv, vocab, seq = DIM, HIDDEN, 1, HEADS, KV_HEADS, VOCAB, CTX
    head = dim // heads
    if v1:
        header = struct.pack("<Ii7iB", 0x616B3432, 1, dim, hidden, layers, heads, kv, vocab, seq, 1)
        header += b"\0" * (256 - len(header))
        floats = 2 * dim + dim + vocab * dim + dim * dim * 2 + dim * head * kv * 2 + 3 * dim * hidden
    else:
        header = struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq)
        floats = vocab * dim + 2 * dim + dim * dim * 2 + dim * head * kv * 2 + 3 * dim * hidden + dim
        floats += seq * head  # the two RoPE tables of seq * head / 2
    return header + struct.pack("<%df" % floats, *values(floats, 5))


def main():
    out = sys.argv[1]
    seeds = {
        "gguf/llama.gguf": llama_gguf(),
        "gguf/llama_v2.gguf": llama_gguf(2),
        "gguf/gpt2_vocab.gguf": gpt2_vocab(),
        "gguf/every_value_type.gguf": every_value_type(),
        "model/llama.gguf": llama_gguf(),
        "model/legacy.bin": llama2c_checkpoint(False),
        "model/v1.bin": llama2c_checkpoint(True),
    }
    for name, data in seeds.items():
        os.makedirs(os.path.join(out, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
