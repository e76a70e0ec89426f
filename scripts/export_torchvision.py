"""Export torchvision ResNets to ONNX test folders (model.onnx, test_data_set_K/input_0.pb, output_0.pb).

Runs where PyTorch is installed (the GPU machine). Weights are seeded and random, BatchNorm gets
non-trivial running statistics, and the reference outputs are PyTorch's own float32 CPU results, so
`gapnet test-onnx` on these folders compares gapnet with PyTorch on the same model.

usage: python3 scripts/export_torchvision.py OUT_DIR [resnet18 resnet50 ...]
"""
import os
import sys

import torch
import torchvision


def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def tensor_proto(array, name):
    """A float32 ONNX TensorProto (dims = field 1, data_type = 2, name = 8, raw_data = 9), without the onnx package."""
    a = array.astype("<f4", copy=False)
    out = bytearray()
    for d in a.shape:
        out += b"\x08" + _varint(int(d))
    out += b"\x10" + _varint(1)  # FLOAT
    n = name.encode()
    out += b"\x42" + _varint(len(n)) + n
    raw = a.tobytes()
    out += b"\x4a" + _varint(len(raw)) + raw
    return bytes(out)


def export(name, out_dir):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    folder = os.path.join(out_dir, name + "-torchvision")
    os.makedirs(folder, exist_ok=True)
    example = torch.randn(1, 3, 224, 224)
    path = os.path.join(folder, "model.onnx")
    dynamic = {"input": {0: "N", 2: "H", 3: "W"}, "logits": {0: "N"}}
    try:
        torch.onnx.export(model, (example,), path, input_names=["input"], output_names=["logits"],
                          dynamic_axes=dynamic, opset_version=17, do_constant_folding=True, dynamo=False)
        how = "TorchScript exporter"
    except Exception as e:  # newer PyTorch may only have the dynamo exporter
        print(f"{name}: TorchScript export failed ({e}); using dynamo=True", file=sys.stderr)
        torch.onnx.export(model, (example,), path, input_names=["input"], output_names=["logits"],
                          dynamic_shapes={"x": {0: torch.export.Dim("N"), 2: torch.export.Dim("H", min=32),
                                                3: torch.export.Dim("W", min=32)}},
                          opset_version=18, dynamo=True)
        how = "dynamo exporter"
    gen = torch.Generator().manual_seed(1)
    for k, shape in enumerate([(2, 3, 224, 224), (1, 3, 160, 192)]):
        x = torch.randn(*shape, generator=gen)
        with torch.no_grad():
            y = model(x)
        d = os.path.join(folder, f"test_data_set_{k}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "input_0.pb"), "wb") as f:
            f.write(tensor_proto(x.numpy(), "input"))
        with open(os.path.join(d, "output_0.pb"), "wb") as f:
            f.write(tensor_proto(y.numpy(), "logits"))
    print(f"{name}: exported to {folder} with the {how} (torch {torch.__version__}, torchvision {torchvision.__version__})")


if __name__ == "__main__":
    out = sys.argv[1]
    for n in sys.argv[2:] or ["resnet18", "resnet50"]:
        export(n, out)
