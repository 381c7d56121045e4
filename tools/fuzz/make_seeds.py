#!/usr/bin/env python3
"""Writes the tiny seed corpora of the fuzz targets into the directory given (some 100 KB in
all): GGUF files (a llama model with its SentencePiece vocabulary, a GPT-2 byte-level vocabulary,
every metadata value type), runnable models (llama and gpt2 with weights in f32, f16, bf16,
q8_0 and q4_0; non-finite weights; a matrix whose type field says f16 over f32 bytes), llama2.c
checkpoints (legacy and "ak42" v1), tokenizer texts, server request bodies, raw HTTP requests and
chat templates (the real ones of models/chat-templates/, each with a conversation behind a NUL
byte). The real vocabularies (models/tok512.*) are added by run.sh."""
import glob
import json
import os
import struct
import sys


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


F32, F16, Q4_0, Q8_0, BF16 = 0, 1, 2, 8, 30


def bf16(floats):
    return b"".join(struct.pack("<f", f)[2:] for f in floats)


def q8_0(floats):
    """ggml's Q8_0: blocks of 32 int8 with one f16 scale (max |x| / 127) in front."""
    out = b""
    for i in range(0, len(floats), 32):
        block = floats[i:i + 32]
        scale = max(abs(f) for f in block) / 127
        quants = [round(f / scale) if scale else 0 for f in block]
        out += struct.pack("<e32b", scale, *quants)
    return out


def q4_0(floats):
    """ggml's Q4_0: blocks of 32 values as 4-bit q (x = (q - 8) * scale) behind one f16 scale;
    byte j holds value j in its low nibble and value j + 16 in its high one."""
    out = b""
    for i in range(0, len(floats), 32):
        block = floats[i:i + 32]
        scale = max(abs(f) for f in block) / 7
        q = [min(15, max(0, round(f / scale) + 8)) if scale else 8 for f in block]
        out += struct.pack("<e", scale) + bytes(q[j] | q[j + 16] << 4 for j in range(16))
    return out


ENCODERS = {
    F32: lambda floats: struct.pack("<%df" % len(floats), *floats),
    F16: lambda floats: struct.pack("<%de" % len(floats), *floats),
    BF16: bf16,
    Q8_0: q8_0,
    Q4_0: q4_0,
}


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

    def tensor(self, name, dims, floats, ggml_type=F32, type_field=None):
        """`type_field` other than ggml_type lists the tensor as that type over these bytes."""
        self.data += b"\0" * (-len(self.data) % 32)
        self.infos += gguf_string(name) + struct.pack("<I", len(dims))
        self.infos += b"".join(struct.pack("<Q", d) for d in dims)
        self.infos += struct.pack("<IQ", ggml_type if type_field is None else type_field, len(self.data))
        self.data += ENCODERS[ggml_type](floats)
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
QDIM, QHIDDEN = 32, 64  # Q8_0 and Q4_0 blocks are 32 wide
NAN, INF = float("nan"), float("inf")


def llama_gguf(version=3, ggml_type=F32, dim=DIM, hidden=HIDDEN, poison=None):
    """A one-layer llama; `poison` maps a tensor name to the floats it gets instead, or to a
    ggml type its type field claims."""
    poison = poison or {}
    kv_dim = dim // HEADS * KV_HEADS
    g = Gguf(version)
    g.string("general.architecture", "llama").u32("llama.context_length", CTX)
    g.u32("llama.embedding_length", dim).u32("llama.feed_forward_length", hidden)
    g.u32("llama.block_count", 1).u32("llama.attention.head_count", HEADS)
    g.u32("llama.attention.head_count_kv", KV_HEADS).u32("llama.rope.dimension_count", dim // HEADS)
    g.f32("llama.attention.layer_norm_rms_epsilon", 1e-5).f32("llama.rope.freq_base", 10000.0)
    g.string("tokenizer.ggml.model", "llama")
    g.array("tokenizer.ggml.tokens", 8, "", ["<unk>", "<s>", "</s>", "<0x0A>", "\u2581", "a", "\u2581a", "b"])
    g.array("tokenizer.ggml.scores", 6, "f", [0, 0, 0, 0, -1, -2, -3, -4])
    g.array("tokenizer.ggml.token_type", 5, "i", [2, 3, 3, 6, 1, 1, 1, 1])
    g.u32("tokenizer.ggml.bos_token_id", 1).u32("tokenizer.ggml.eos_token_id", 2)
    shapes = [("token_embd.weight", [dim, VOCAB]), ("blk.0.attn_norm.weight", [dim]),
              ("blk.0.attn_q.weight", [dim, dim]), ("blk.0.attn_k.weight", [dim, kv_dim]),
              ("blk.0.attn_v.weight", [dim, kv_dim]), ("blk.0.attn_output.weight", [dim, dim]),
              ("blk.0.ffn_norm.weight", [dim]), ("blk.0.ffn_gate.weight", [dim, hidden]),
              ("blk.0.ffn_down.weight", [hidden, dim]), ("blk.0.ffn_up.weight", [dim, hidden]),
              ("output_norm.weight", [dim])]
    return add_tensors(g, shapes, ggml_type, poison).bytes()


def add_tensors(g, shapes, ggml_type, poison):
    """Matrices in `ggml_type`, vectors (norms, biases) in f32 as llama.cpp stores them."""
    for i, (name, dims) in enumerate(shapes):
        count = dims[0] * (dims[1] if len(dims) > 1 else 1)
        stored = ggml_type if len(dims) > 1 else F32
        floats = poison.get(name, values(count, i + 1))
        if isinstance(floats, int):
            g.tensor(name, dims, values(count, i + 1), stored, type_field=floats)
        else:
            g.tensor(name, dims, (floats * count)[:count], stored)
    return g


def gpt2_gguf(ggml_type=F32, dim=DIM, hidden=HIDDEN, poison=None):
    """A one-layer GPT-2 as llama.cpp lays it out (fused attn_qkv, biases, learned positions)."""
    g = Gguf().string("general.architecture", "gpt2").u32("gpt2.context_length", CTX)
    g.u32("gpt2.embedding_length", dim).u32("gpt2.feed_forward_length", hidden)
    g.u32("gpt2.block_count", 1).u32("gpt2.attention.head_count", HEADS)
    g.f32("gpt2.attention.layer_norm_epsilon", 1e-5)
    shapes = [("token_embd.weight", [dim, VOCAB]), ("position_embd.weight", [dim, CTX])]
    for part, n_in, n_out in [("attn_qkv", dim, 3 * dim), ("attn_output", dim, dim),
                              ("ffn_up", dim, hidden), ("ffn_down", hidden, dim)]:
        shapes += [("blk.0.%s.weight" % part, [n_in, n_out]), ("blk.0.%s.bias" % part, [n_out])]
    for norm in ["blk.0.attn_norm", "blk.0.ffn_norm", "output_norm"]:
        shapes += [(norm + ".weight", [dim]), (norm + ".bias", [dim])]
    shapes.append(("output.weight", [dim, VOCAB]))
    return add_tensors(g, shapes, ggml_type, poison or {}).bytes()


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


# Conversations for the chat templates: plain turns, then the object form with the extra
# variables and fields (tools, tool calls, content parts, null content) real templates read.
CONVERSATIONS = [
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Why?"}],
    {"messages": [{"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
                  {"role": "assistant", "content": None, "tool_calls": [
                      {"type": "function", "function": {"name": "get", "arguments": {"x": 1}}}]},
                  {"role": "tool", "content": "{\"t\": 20}"}],
     "tools": [{"type": "function", "function": {"name": "get", "parameters": {}}}],
     "date_string": "26 Jul 2024", "bos_token": "<|begin_of_text|>"},
]

REQUESTS = {
    "completion": {"prompt": "Once upon", "max_tokens": 8, "temperature": 0.5, "top_p": 0.9,
                   "top_k": 40, "min_p": 0.05, "seed": 42, "stop": ["\n", "."], "logprobs": 2,
                   "n": 1, "echo": False, "stream": True,
                   "stream_options": {"include_usage": True}},
    "token_prompts": {"prompt": [[1, 2, 3], "text", [4]], "max_completion_tokens": 1,
                      "presence_penalty": 0, "logit_bias": {}, "response_format": {"type": "text"}},
    "chat": {"model": "m", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": None}], "logprobs": True, "top_logprobs": 3,
        "stop": "x", "seed": -1, "tools": [], "frequency_penalty": 0.0, "suffix": ""},
}


def http_request(method, path, body=None, key="fuzz-key", headers=()):
    """A raw HTTP/1.1 request for the http_request target (whose server's key is fuzz-key)."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: localhost"]
    if key is not None:
        lines.append("Authorization: Bearer " + key)
    lines += headers
    data = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        lines += ["Content-Type: application/json", "Content-Length: %d" % len(data)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


HTTP_REQUESTS = {
    "health": http_request("GET", "/health", key=None),
    "models": http_request("GET", "/v1/models/fuzz"),
    "metrics": http_request("GET", "/metrics"),
    "completion": http_request("POST", "/v1/completions", REQUESTS["completion"]),
    "chat": http_request("POST", "/v1/chat/completions", REQUESTS["chat"]),
    "tokenize": http_request("POST", "/tokenize", {"content": "a ab", "add_special": True,
                                                   "with_pieces": True}),
    "detokenize": http_request("POST", "/detokenize", {"tokens": [1, 5, 6, 7]}),
    "wrong_key": http_request("POST", "/tokenize", {"content": "a"}, key="wrong"),
    "no_key": http_request("GET", "/v1/models", key=None),
    "too_large": http_request("POST", "/v1/completions", {"prompt": "a" * 5000}),
    "continue": http_request("POST", "/tokenize", {"content": "b"},
                             headers=["Expect: 100-continue"]),
    "chunked": b"POST /detokenize HTTP/1.1\r\nAuthorization: Bearer fuzz-key\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"tok\r\n9\r\nens\": []}\r\n0\r\n\r\n",
}


def chat_template_seeds():
    here = os.path.dirname(os.path.abspath(__file__))
    seeds = {}
    for path in sorted(glob.glob(os.path.join(here, "../../models/chat-templates/*.jinja"))):
        with open(path, "rb") as f:
            source = f.read()
        name = os.path.basename(path)
        for i, conversation in enumerate(CONVERSATIONS):
            seeds["jinja_template/%s.%d" % (name, i)] = source + b"\0" + json.dumps(conversation).encode()
    return seeds


def main():
    out = sys.argv[1]
    seeds = {
        "gguf/llama.gguf": llama_gguf(),
        "gguf/llama_v2.gguf": llama_gguf(2),
        "gguf/gpt2_vocab.gguf": gpt2_vocab(),
        "gguf/every_value_type.gguf": every_value_type(),
        "model/llama.gguf": llama_gguf(),
        "model/llama_f16.gguf": llama_gguf(ggml_type=F16),
        "model/llama_bf16.gguf": llama_gguf(ggml_type=BF16),
        "model/llama_q8_0.gguf": llama_gguf(ggml_type=Q8_0, dim=QDIM, hidden=QHIDDEN),
        "model/llama_q4_0.gguf": llama_gguf(ggml_type=Q4_0, dim=QDIM, hidden=QHIDDEN),
        "model/llama_nan_norm.gguf": llama_gguf(poison={"output_norm.weight": [NAN]}),
        "model/llama_inf_matrix.gguf": llama_gguf(poison={"blk.0.ffn_up.weight": [1.0, INF]}),
        "model/llama_retyped_f16.gguf": llama_gguf(poison={"blk.0.attn_output.weight": F16}),
        "model/llama_retyped_bf16.gguf": llama_gguf(poison={"blk.0.attn_q.weight": BF16}),
        "model/gpt2.gguf": gpt2_gguf(),
        "model/gpt2_f16.gguf": gpt2_gguf(ggml_type=F16),
        "model/gpt2_bf16.gguf": gpt2_gguf(ggml_type=BF16),
        "model/gpt2_q8_0.gguf": gpt2_gguf(ggml_type=Q8_0, dim=QDIM, hidden=QHIDDEN),
        "model/gpt2_q4_0.gguf": gpt2_gguf(ggml_type=Q4_0, dim=QDIM, hidden=QHIDDEN),
        "model/gpt2_nan_bias.gguf": gpt2_gguf(poison={"blk.0.ffn_down.bias": [NAN]}),
        "model/gpt2_retyped_f16.gguf": gpt2_gguf(poison={"output.weight": F16}),
        "model/legacy.bin": llama2c_checkpoint(False),
        "model/v1.bin": llama2c_checkpoint(True),
        "text/ascii.txt": b"Once upon a time, there was a little girl named Lily. It's 42!\n",
        "text/spaces.txt": b"  two  spaces\t\ttabs\n\n\nlines   ",
        "text/unicode.txt": "caf\u00e9 na\u00efve \u6771\u4eac \u041f\u0440\u0438\u0432\u0435\u0442 "
                            "\U0001F642\U0001F44D\U0001F3FD".encode(),
        "text/malformed.txt": b"\xff\xfe\xc3 \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 \x00 <s></s>",
    }
    seeds.update(("completion_request/%s.json" % name, json.dumps(body).encode())
                 for name, body in REQUESTS.items())
    seeds.update(("http_request/%s.http" % name, request) for name, request in HTTP_REQUESTS.items())
    seeds.update(chat_template_seeds())
    for name, data in seeds.items():
        os.makedirs(os.path.join(out, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
