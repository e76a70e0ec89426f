#!/usr/bin/env python3
"""Writes the PyTorch-exported test models under src/test/resources/reference-models/ (external truth for gapnet).

Each model is a CNN family gapnet's other tests never saw, exported by PyTorch's own ONNX exporter at one or two
opsets, in the ONNX test layout: NAME/model.onnx and NAME/test_data_set_K/{input_0,output_0}.pb, where the outputs are
PyTorch's. Run with Debian's python3-torch and python3-onnx:  /usr/bin/python3 scripts/make_test_models.py
Seeds are fixed; the weights are random except nin-shapes, which is trained here on synthetic shapes.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "reference-models")


def save(name, model, inputs, opset, extra_outputs=None):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    model.eval()
    path = os.path.join(folder, "model.onnx")
    names = ["logits"] + (extra_outputs or [])
    dynamic = {"input": {0: "N", 2: "H", 3: "W"}}
    for n in names:
        dynamic[n] = {0: "N"}
    with torch.no_grad():
        torch.onnx.export(model, inputs[0], path, input_names=["input"], output_names=names, dynamic_axes=dynamic,
                          opset_version=opset, do_constant_folding=True)
        for k, x in enumerate(inputs):
            d = os.path.join(folder, "test_data_set_%d" % k)
            os.makedirs(d, exist_ok=True)
            out = model(x)
            outs = out if isinstance(out, tuple) else (out,)
            with open(os.path.join(d, "input_0.pb"), "wb") as f:
                f.write(numpy_helper.from_array(x.numpy(), "input").SerializeToString())
            for j, (o, n) in enumerate(zip(outs, names)):
                with open(os.path.join(d, "output_%d.pb" % j), "wb") as f:
                    f.write(numpy_helper.from_array(o.numpy(), n).SerializeToString())
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    print("%-28s opset %2d  %6.0f KB  %s" % (name, opset, os.path.getsize(path) / 1024, " ".join(ops)))


def randomize_norms(model, gen):
    """Non-trivial affine parameters and running statistics, so that normalisation is not the identity."""
    for mod in model.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)):
            if getattr(mod, "weight", None) is not None:
                mod.weight.data = 0.5 + torch.rand(mod.weight.shape, generator=gen)
                mod.bias.data = 0.2 * torch.randn(mod.bias.shape, generator=gen)
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean = 0.1 * torch.randn(mod.running_mean.shape, generator=gen)
                mod.running_var = 0.5 + torch.rand(mod.running_var.shape, generator=gen)


# --- ConvNeXt-style: depthwise 7x7, LayerNorm over channels (channels last), Linear -> GELU -> Linear, layer scale
class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, approximate):
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.approximate = approximate
        self.gamma = nn.Parameter(0.5 + torch.rand(dim))

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(F.gelu(self.fc1(self.norm(y)), approximate=self.approximate))
        return x + (self.gamma * y).permute(0, 3, 1, 2)


class ConvNeXtMini(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 4, stride=4), LayerNorm2d(16, eps=1e-6))
        self.stage1 = nn.Sequential(ConvNeXtBlock(16, "none"), ConvNeXtBlock(16, "tanh"))
        self.down = nn.Sequential(LayerNorm2d(16, eps=1e-6), nn.Conv2d(16, 32, 2, stride=2))
        self.stage2 = ConvNeXtBlock(32, "none")
        self.norm = nn.LayerNorm(32, eps=1e-6)
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.norm(x.mean((2, 3))))


# --- SE blocks (GAP inside the network), Mish, Hardswish, GroupNorm, GeM pooling, an L2-normalised embedding
class SEBlock(nn.Module):
    def __init__(self, dim, act):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1, bias=False)
        self.norm = nn.GroupNorm(4, dim)
        self.act = act
        self.squeeze = nn.Conv2d(dim, dim // 4, 1)
        self.excite = nn.Conv2d(dim // 4, dim, 1)

    def forward(self, x):
        y = self.act(self.norm(self.conv(x)))
        s = torch.sigmoid(self.excite(F.relu(self.squeeze(F.adaptive_avg_pool2d(y, 1)))))
        return x + y * s


class SEGeMNet(nn.Module):
    def __init__(self, classes=7):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        self.block1 = SEBlock(16, nn.Mish())
        self.down = nn.Sequential(nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ELU(0.7))
        self.block2 = SEBlock(32, nn.LeakyReLU(0.05))
        self.p = 3.0
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.block2(self.down(self.block1(self.stem(x))))
        gem = x.clamp(min=1e-6).pow(self.p).mean((2, 3)).pow(1.0 / self.p)
        return self.fc(gem), F.normalize(gem, dim=1)


# --- reductions and the element-wise ops of issue 17 inside a small CNN
class ReduceNet(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 12, 3, padding=1)
        self.conv2 = nn.Conv2d(12, 12, 3, stride=2, padding=1)
        self.fc = nn.Linear(12 * 5 + 2, classes)

    def forward(self, x):
        x = F.softsign(self.conv1(x)) + torch.erf(x.mean(1, keepdim=True))
        x = F.celu(self.conv2(x), alpha=0.5)
        feats = [x.sum((2, 3)) / (x.shape[2] * x.shape[3]),  # ReduceSum (axes as an input from opset 13)
                 x.amax((2, 3)),  # ReduceMax
                 x.amin((2, 3)),  # ReduceMin
                 x.norm(p=2, dim=(2, 3)) / 10,  # ReduceL2
                 torch.logsumexp(x, dim=(2, 3)) / 10]  # ReduceLogSumExp
        extra = [x.abs().sum((1, 2, 3), keepdim=False).unsqueeze(1) / 1000,  # ReduceSum of Abs
                 torch.floor(x.mean((1, 2, 3)) * 10).unsqueeze(1) + torch.round(x.amax((1, 2, 3))).unsqueeze(1)]
        return self.fc(torch.cat(feats + extra, dim=1))


# --- resizing inside the graph (Resize from opset 11, Upsample at 9)
class ResizeNet(nn.Module):
    def __init__(self, full=True, classes=4):
        super().__init__()
        self.full = full
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        y = F.relu(self.conv(x))
        y = F.interpolate(y, scale_factor=2.0, mode="nearest")
        if self.full:
            y = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)
            y = y + F.interpolate(y, size=(y.shape[2], y.shape[3]), mode="bilinear", align_corners=True)
            y = F.interpolate(y, scale_factor=0.75, mode="bilinear", align_corners=False)
        return self.fc(y.mean((2, 3)))


# --- Network in Network / SqueezeNet head, trained: one map per class, GAP is the score
SHAPES = ["square", "ring", "cross"]


def shape_image(cls, rng, size=32):
    img = rng.uniform(0, 0.25, (3, size, size)).astype(np.float32)
    r = rng.integers(5, 8)
    cy, cx = rng.integers(r + 1, size - r - 1, 2)
    yy, xx = np.mgrid[0:size, 0:size]
    if cls == 0:
        mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
    elif cls == 1:
        d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        mask = (d <= r) & (d >= r - 2)
    else:
        mask = ((abs(yy - cy) <= 1) & (abs(xx - cx) <= r)) | ((abs(xx - cx) <= 1) & (abs(yy - cy) <= r))
    colour = rng.uniform(0.6, 1.0, 3).astype(np.float32)
    for c in range(3):
        img[c][mask] = colour[c]
    return img


class NiN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU())
        self.classifier = nn.Sequential(nn.Conv2d(32, len(SHAPES), 1), nn.ReLU())

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.classifier(self.features(x)), 1), 1)


def train_nin():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    model = NiN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(400):
        labels = rng.integers(0, len(SHAPES), 64)
        x = torch.from_numpy(np.stack([shape_image(c, rng) for c in labels]))
        loss = F.cross_entropy(model(x), torch.from_numpy(labels))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    labels = rng.integers(0, len(SHAPES), 300)
    with torch.no_grad():
        pred = model(torch.from_numpy(np.stack([shape_image(c, rng) for c in labels]))).argmax(1).numpy()
    accuracy = float((pred == labels).mean())
    print("nin-shapes: held-out accuracy %.3f on 300 images" % accuracy)
    if accuracy < 0.9:
        sys.exit("nin-shapes did not train")
    return model, rng


def write_png(path, chw):
    from PIL import Image
    Image.fromarray((np.clip(chw.transpose(1, 2, 0), 0, 1) * 255).round().astype(np.uint8)).save(path)


# --- QDQ: the quantize/dequantize pairs of a statically quantized model, written with onnx.helper; the reference
# applies ONNX's formulas with torch (torch.round rounds half to even, as QuantizeLinear does)
def fake_quant(x, scale, zp, lo, hi, axis=None):
    shape = [1] * x.dim()
    if axis is not None:
        shape[axis] = -1
    s = torch.as_tensor(scale, dtype=torch.float32).reshape(shape)
    z = torch.as_tensor(zp, dtype=torch.float32).reshape(shape)
    return (torch.clamp(torch.round(x / s) + z, lo, hi) - z) * s


def save_onnx(name, graph, inputs, reference, opset=13):
    from onnx import helper
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_test_models.py")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for k, x in enumerate(inputs):
        d = os.path.join(folder, "test_data_set_%d" % k)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x.numpy(), "input").SerializeToString())
        for j, o in enumerate(reference(x)):
            with open(os.path.join(d, "output_%d.pb" % j), "wb") as f:
                f.write(numpy_helper.from_array(o.numpy(), graph.output[j].name).SerializeToString())
    print("%-28s opset %2d  %s" % (name, opset, " ".join(sorted({n.op_type for n in graph.node}))))


def make_qdq(gen):
    from onnx import TensorProto, helper
    c = lambda name, arr: numpy_helper.from_array(np.asarray(arr), name)
    # per-tensor round trips to int8 (zero point 1) and uint8 (zero point 128), scale 0.5
    nodes = [helper.make_node("QuantizeLinear", ["input", "s", "z8"], ["q8"]),
             helper.make_node("DequantizeLinear", ["q8", "s", "z8"], ["int8"]),
             helper.make_node("QuantizeLinear", ["input", "s", "zu8"], ["qu8"]),
             helper.make_node("DequantizeLinear", ["qu8", "s", "zu8"], ["uint8"])]
    inits = [c("s", np.float32(0.5)), c("z8", np.int8(1)), c("zu8", np.uint8(128))]
    g = helper.make_graph(nodes, "qdq-roundtrip", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 8])],
                          [helper.make_tensor_value_info("int8", TensorProto.FLOAT, ["N", 8]),
                           helper.make_tensor_value_info("uint8", TensorProto.FLOAT, ["N", 8])], inits)
    x = torch.tensor([[0, 1.5, 2.5, -3, 300, -300, 0.25, 0.75]])
    save_onnx("qdq-roundtrip", g, [x], lambda x: (fake_quant(x, 0.5, 1, -128, 127), fake_quant(x, 0.5, 128, 0, 255)))

    # a statically quantized CNN: activations through uint8/int8 QDQ pairs, conv weights int8 per output channel
    w = torch.randn(8, 3, 3, 3, generator=gen) * 0.3
    wscale = (w.abs().amax((1, 2, 3)) / 127).numpy().astype(np.float32)
    wq = torch.clamp(torch.round(w / torch.from_numpy(wscale).reshape(-1, 1, 1, 1)), -127, 127).numpy().astype(np.int8)
    bias = (torch.randn(8, generator=gen) * 0.1).numpy().astype(np.float32)
    fc = torch.randn(8, 5, generator=gen) * 0.5
    fscale = np.float32(fc.abs().max().item() / 127)
    fq = torch.clamp(torch.round(fc / fscale), -127, 127).numpy().astype(np.int8)
    nodes = [helper.make_node("QuantizeLinear", ["input", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0),
             helper.make_node("Conv", ["xd", "wd", "b"], ["conv"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["conv"], ["relu"]),
             helper.make_node("QuantizeLinear", ["relu", "as", "az"], ["aq"]),
             helper.make_node("DequantizeLinear", ["aq", "as", "az"], ["ad"]),
             helper.make_node("GlobalAveragePool", ["ad"], ["gap"]),
             helper.make_node("Flatten", ["gap"], ["flat"]),
             helper.make_node("DequantizeLinear", ["fq", "fs"], ["fd"]),
             helper.make_node("MatMul", ["flat", "fd"], ["logits"])]
    inits = [c("xs", np.float32(0.02)), c("xz", np.uint8(128)), c("wq", wq), c("ws", wscale), c("wz", np.zeros(8, np.int8)),
             c("b", bias), c("as", np.float32(0.01)), c("az", np.int8(0)), c("fq", fq), c("fs", fscale)]
    g = helper.make_graph(nodes, "qdq-cnn", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])], inits)

    def reference(x):
        xd = fake_quant(x, 0.02, 128, 0, 255)
        wd = torch.from_numpy(wq.astype(np.float32)) * torch.from_numpy(wscale).reshape(-1, 1, 1, 1)
        a = fake_quant(F.relu(F.conv2d(xd, wd, torch.from_numpy(bias), padding=1)), 0.01, 0, -128, 127)
        return (a.mean((2, 3)) @ (torch.from_numpy(fq.astype(np.float32)) * float(fscale)),)

    save_onnx("qdq-cnn", g, [torch.rand(1, 3, 16, 16, generator=gen) * 2 - 1, torch.rand(2, 3, 12, 20, generator=gen) * 2 - 1],
              reference)


def main():
    gen = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    x64 = torch.randn(1, 3, 64, 64, generator=gen)
    x_odd = torch.randn(2, 3, 48, 80, generator=gen)
    convnext = ConvNeXtMini()
    randomize_norms(convnext, gen)
    save("convnext-mini-opset13", convnext, [x64, x_odd], 13)  # LayerNorm decomposed, GELU as Erf
    save("convnext-mini-opset17", convnext, [x64, x_odd], 17)  # LayerNormalization
    se = SEGeMNet()
    randomize_norms(se, gen)
    save("se-gem-opset11", se, [x64, x_odd], 11, ["embedding"])
    save("se-gem-opset15", se, [x64, x_odd], 15, ["embedding"])
    red = ReduceNet()
    save("reduce-net-opset13", red, [torch.randn(1, 3, 20, 20, generator=gen)], 13)
    save("reduce-net-opset12", red, [torch.randn(2, 3, 20, 20, generator=gen)], 12)
    save("resize-net-opset13", ResizeNet(), [torch.randn(1, 3, 16, 16, generator=gen), torch.randn(2, 3, 12, 18, generator=gen)], 13)
    save("upsample-net-opset9", ResizeNet(full=False), [torch.randn(1, 3, 16, 16, generator=gen)], 9)
    make_qdq(gen)
    nin, rng = train_nin()
    save("nin-shapes", nin, [torch.from_numpy(np.stack([shape_image(c, rng) for c in (0, 1, 2, 2)]))], 13)
    folder = os.path.join(ROOT, "nin-shapes")
    with open(os.path.join(folder, "labels.txt"), "w") as f:
        f.write("\n".join(SHAPES) + "\n")
    for c, name in enumerate(SHAPES):
        write_png(os.path.join(folder, name + ".png"), shape_image(c, np.random.default_rng(100 + c)))


if __name__ == "__main__":
    main()
