"""A small ONNX interpreter that builds a torch.nn.Module from an ONNX file, so PyTorch (Debian's
python3-torch has no ONNX importer) can run exactly the models tinyopt runs. Each ONNX node becomes a
torch.nn.functional call with ONNX opset-18 semantics (older-opset attribute forms of Clip, Squeeze,
Unsqueeze, ReduceMean and Pad are accepted too); the module is meant to be traced with torch.jit.trace
for the benchmark (bench/peers/torch_bench.py). Weights become buffers, integer "shape-like" initializers (Reshape shape, Pad pads,
axes) become Python constants so the trace does not record them.

It is not a general ONNX runtime: float32 only, the op set of tinyopt's float IR (core/op_type.h) minus
quantization and ConvTranspose; anything else raises NotImplementedError naming the node.

`to_fx_module(path)` builds the same network as a torch.fx.GraphModule of standard layers (nn.Conv2d,
nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d, nn.Linear, ...), the form PyTorch's FX post-training quantization
(prepare_fx / convert_fx, bench/peers/torch_int8_bench.py) recognizes, fuses and quantizes; it covers the
ops of the Fashion-MNIST teacher and student and the CNN families, and raises NotImplementedError otherwise.

Usage as a script (self-check): /usr/bin/python3 onnx_to_torch.py MODEL.onnx  prints the output shape.
"""
import sys

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _split_pads(pads, rank):
    """ONNX pads [b1..bn, e1..en] -> (begins, ends)."""
    pads = list(pads) if pads else [0] * (2 * rank)
    return pads[:rank], pads[rank:]


def _torch_pad(begins, ends):
    """F.pad wants the last dimension first: (last_b, last_e, prev_b, prev_e, ...)."""
    out = []
    for b, e in zip(reversed(begins), reversed(ends)):
        out += [b, e]
    return out


class OnnxModule(torch.nn.Module):
    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        g = model.graph
        self.nodes = list(g.node)
        self.consts = {}  # name -> numpy array, for int initializers used as attributes
        self._buffers_by_value = {}
        init_names = set()
        for i, t in enumerate(g.initializer):
            arr = numpy_helper.to_array(t)
            init_names.add(t.name)
            self.consts[t.name] = arr
            if arr.dtype.kind == "f":
                buf = f"w{i}"
                self.register_buffer(buf, torch.from_numpy(arr.astype("float32").copy()))
                self._buffers_by_value[t.name] = buf
        for n in self.nodes:  # Constant nodes behave like initializers
            if n.op_type == "Constant":
                arr = numpy_helper.to_array(_attrs(n)["value"])
                self.consts[n.output[0]] = arr
                if arr.dtype.kind == "f":
                    buf = f"c{len(self._buffers_by_value)}"
                    self.register_buffer(buf, torch.from_numpy(arr.astype("float32").copy()))
                    self._buffers_by_value[n.output[0]] = buf
        self.register_buffer("zero", torch.tensor(0.0))  # tensor clamp bounds, see Clip
        self.register_buffer("one", torch.tensor(1.0))
        self.input_names = [i.name for i in g.input if i.name not in init_names]
        self.output_names = [o.name for o in g.output]

    def _const(self, name):
        if name not in self.consts:
            raise NotImplementedError(f"value '{name}' must be a constant initializer here")
        return self.consts[name]

    def _const_ints(self, node, index, attr_name=None, attrs=None):
        """Integer list from input `index` (opset >= 13 form) or attribute `attr_name` (older form)."""
        if len(node.input) > index and node.input[index]:
            return [int(v) for v in self._const(node.input[index]).reshape(-1)]
        if attr_name and attrs and attr_name in attrs:
            return [int(v) for v in attrs[attr_name]]
        return None

    def forward(self, *inputs):
        env = dict(zip(self.input_names, inputs))
        for name, buf in self._buffers_by_value.items():
            env[name] = getattr(self, buf)
        for node in self.nodes:
            if node.op_type == "Constant":
                continue
            outs = self._run(node, env)
            for name, val in zip(node.output, outs):
                if name:
                    env[name] = val
        res = [env[n] for n in self.output_names]
        return res[0] if len(res) == 1 else tuple(res)

    def _run(self, node, env):
        a = _attrs(node)
        x = [env.get(i) if i else None for i in node.input]  # int constants are read via _const
        op = node.op_type
        if op == "Conv":
            return [self._conv(x, a)]
        if op == "BatchNormalization":
            return [F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, a.get("epsilon", 1e-5))]
        if op == "Relu":
            return [F.relu(x[0])]
        if op == "LeakyRelu":
            return [F.leaky_relu(x[0], a.get("alpha", 0.01))]
        if op == "Clip":
            # Bounds stay tensors (as ONNX has them since opset 11): torch 1.13's optimize_for_inference
            # turns a scalar clamp (and F.hardswish) after a convolution into an in-place MKLDNN op
            # that returns wrong values when the channel count is not a multiple of 16 (seen with 8:
            # the clamp is skipped). The tensor overload is not converted and stays correct.
            if len(node.input) > 1:
                return [torch.clamp(x[0], x[1], x[2] if len(x) > 2 else None)]
            return [torch.clamp(x[0], a.get("min"), a.get("max"))]
        if op == "Sigmoid":
            return [torch.sigmoid(x[0])]
        if op == "HardSigmoid":
            alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
            return [torch.clamp(x[0] * alpha + beta, self.zero, self.one)]
        if op == "HardSwish":  # x * HardSigmoid(x; 1/6, 1/2); not F.hardswish, see Clip
            return [x[0] * torch.clamp(x[0] * (1.0 / 6.0) + 0.5, self.zero, self.one)]
        if op == "Tanh":
            return [torch.tanh(x[0])]
        if op == "Softmax":
            return [F.softmax(x[0], dim=a.get("axis", -1))]
        if op in ("MaxPool", "AveragePool"):
            return [self._pool(op, x[0], a, node)]
        if op == "GlobalAveragePool":
            return [torch.mean(x[0], dim=list(range(2, x[0].dim())), keepdim=True)]
        if op == "ReduceMean":
            axes = self._const_ints(node, 1, "axes", a)
            keep = bool(a.get("keepdims", 1))
            if axes is None:
                if a.get("noop_with_empty_axes", 0):
                    return [x[0]]
                axes = list(range(x[0].dim()))
            return [torch.mean(x[0], dim=axes, keepdim=keep)]
        if op == "Gemm":
            A, B = x[0], x[1]
            if a.get("transA", 0):
                A = A.t()
            if a.get("transB", 0):
                B = B.t()
            y = torch.matmul(A, B) * a.get("alpha", 1.0)
            if len(x) > 2 and x[2] is not None:
                y = y + x[2] * a.get("beta", 1.0)
            return [y]
        if op == "MatMul":
            return [torch.matmul(x[0], x[1])]
        if op == "Add":
            return [x[0] + x[1]]
        if op == "Sub":
            return [x[0] - x[1]]
        if op == "Mul":
            return [x[0] * x[1]]
        if op == "Div":
            return [x[0] / x[1]]
        if op == "Flatten":
            axis = a.get("axis", 1)
            axis = axis + x[0].dim() if axis < 0 else axis
            if axis == 0:
                return [x[0].reshape(1, -1)]
            y = x[0].unsqueeze(-1) if axis == x[0].dim() else x[0]  # an empty tail is one element
            return [torch.flatten(y, axis).flatten(0, axis - 1)]
        if op == "Reshape":
            shape = self._const_ints(node, 1)
            if not a.get("allowzero", 0):
                shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            return [torch.reshape(x[0], shape)]
        if op == "Squeeze":
            axes = self._const_ints(node, 1, "axes", a)
            if not axes:
                return [torch.squeeze(x[0])]
            y = x[0]
            for ax in sorted((ax % y.dim() for ax in axes), reverse=True):
                y = y.squeeze(ax)
            return [y]
        if op == "Unsqueeze":
            axes = self._const_ints(node, 1, "axes", a)
            rank = x[0].dim() + len(axes)
            y = x[0]
            for ax in sorted(ax % rank for ax in axes):
                y = y.unsqueeze(ax)
            return [y]
        if op == "Transpose":
            perm = a.get("perm") or list(reversed(range(x[0].dim())))
            return [x[0].permute(*perm)]
        if op == "Concat":
            return [torch.cat(x, dim=a["axis"])]
        if op == "Pad":
            return [self._pad(node, x, a)]
        if op in ("Identity", "Dropout"):
            return [x[0]] + ([None] * (len(node.output) - 1))
        raise NotImplementedError(f"node '{node.name}' ({op}): op not supported by onnx_to_torch.py")

    def _conv(self, x, a):
        inp, w, b = x[0], x[1], x[2] if len(x) > 2 else None
        rank = w.dim() - 2
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise NotImplementedError("Conv auto_pad (tinyopt exports explicit pads)")
        begins, ends = _split_pads(a.get("pads"), rank)
        strides = a.get("strides", [1] * rank)
        dil = a.get("dilations", [1] * rank)
        groups = a.get("group", 1)
        if begins != ends:
            inp = F.pad(inp, _torch_pad(begins, ends))
            begins = [0] * rank
        conv = F.conv1d if rank == 1 else F.conv2d if rank == 2 else F.conv3d
        return conv(inp, w, b, stride=strides, padding=begins, dilation=dil, groups=groups)

    def _pool(self, op, inp, a, node):
        k = a["kernel_shape"]
        rank = len(k)
        begins, ends = _split_pads(a.get("pads"), rank)
        strides = a.get("strides", [1] * rank)
        ceil = bool(a.get("ceil_mode", 0))
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise NotImplementedError(f"node '{node.name}' ({op}): auto_pad")
        if op == "MaxPool":
            dil = a.get("dilations", [1] * rank)
            if begins != ends:
                inp = F.pad(inp, _torch_pad(begins, ends), value=float("-inf"))
                begins = [0] * rank
            fn = F.max_pool1d if rank == 1 else F.max_pool2d
            return fn(inp, k, strides, begins, dil, ceil_mode=ceil)
        include_pad = bool(a.get("count_include_pad", 0))
        if begins != ends:
            if not include_pad and any(begins + ends):
                raise NotImplementedError(f"node '{node.name}': asymmetric pads without count_include_pad")
            inp = F.pad(inp, _torch_pad(begins, ends))
            begins = [0] * rank
        fn = F.avg_pool1d if rank == 1 else F.avg_pool2d
        return fn(inp, k, strides, begins, ceil_mode=ceil, count_include_pad=include_pad)

    def _pad(self, node, x, a):
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        pads = self._const_ints(node, 1, "pads", a)
        value = a.get("value", 0.0)
        if len(node.input) > 2 and node.input[2]:
            value = float(self._const(node.input[2]))
        if len(node.input) > 3 and node.input[3]:
            raise NotImplementedError(f"node '{node.name}' (Pad): axes input")
        begins, ends = _split_pads(pads, x[0].dim())
        tp = _torch_pad(begins, ends)
        if mode == "constant":
            return F.pad(x[0], tp, value=value)
        # torch pads only the spatial dims in reflect/replicate mode: drop the leading N, C zeros.
        return F.pad(x[0], tp[: 2 * (x[0].dim() - 2)], mode={"edge": "replicate"}.get(mode, mode))


def _conv_module(node, a, w, b):
    rank = w.dim() - 2
    if rank != 2 or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError(f"node '{node.name}' (Conv): only 2-D convs with explicit pads")
    begins, ends = _split_pads(a.get("pads"), rank)
    if begins != ends:
        raise NotImplementedError(f"node '{node.name}' (Conv): asymmetric pads")
    groups = a.get("group", 1)
    conv = torch.nn.Conv2d(w.shape[1] * groups, w.shape[0], tuple(w.shape[2:]), stride=a.get("strides", [1, 1]),
                           padding=begins, dilation=a.get("dilations", [1, 1]), groups=groups, bias=b is not None)
    conv.weight.data.copy_(w)
    if b is not None:
        conv.bias.data.copy_(b)
    return conv


def _layer(node, a, consts):
    """The torch.nn layer for one ONNX node whose first input is the only non-constant one, or None."""
    op = node.op_type
    arg = lambda i: torch.from_numpy(consts[node.input[i]].astype("float32").copy()) \
        if len(node.input) > i and node.input[i] else None  # noqa: E731
    if op == "Conv":
        return _conv_module(node, a, arg(1), arg(2))
    if op == "BatchNormalization":
        bn = torch.nn.BatchNorm2d(consts[node.input[1]].shape[0], eps=a.get("epsilon", 1e-5))
        bn.weight.data.copy_(arg(1)), bn.bias.data.copy_(arg(2))
        bn.running_mean.copy_(arg(3)), bn.running_var.copy_(arg(4))
        return bn
    if op == "Relu":
        return torch.nn.ReLU()
    if op == "Clip":
        lo, hi = (float(consts[node.input[i]]) if len(node.input) > i and node.input[i] else None for i in (1, 2))
        if (lo, hi) == (0.0, 6.0):
            return torch.nn.ReLU6()
        return torch.nn.Hardtanh(lo, hi)
    if op == "MaxPool" or op == "AveragePool":
        begins, ends = _split_pads(a.get("pads"), 2)
        if begins != ends or a.get("ceil_mode", 0) or list(a.get("dilations", [1, 1])) != [1, 1]:
            raise NotImplementedError(f"node '{node.name}' ({op}): asymmetric pads, ceil_mode or dilations")
        k, st = a["kernel_shape"], a.get("strides", [1, 1])
        if op == "MaxPool":
            return torch.nn.MaxPool2d(k, st, begins)
        return torch.nn.AvgPool2d(k, st, begins, count_include_pad=bool(a.get("count_include_pad", 0)))
    if op == "GlobalAveragePool":
        return torch.nn.AdaptiveAvgPool2d(1)
    if op == "Flatten":
        return torch.nn.Flatten(a.get("axis", 1))
    if op == "Gemm":
        if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            raise NotImplementedError(f"node '{node.name}' (Gemm): transA, alpha or beta")
        w = arg(1) if a.get("transB", 0) else arg(1).t()
        fc = torch.nn.Linear(w.shape[1], w.shape[0], bias=len(node.input) > 2 and bool(node.input[2]))
        fc.weight.data.copy_(w)
        if fc.bias is not None:
            fc.bias.data.copy_(arg(2))
        return fc
    if op in ("Identity", "Dropout"):
        return torch.nn.Identity()
    return None


def to_fx_module(path):
    """The ONNX model at `path` as a torch.fx.GraphModule of standard layers (see the module docstring):
    one submodule per weighted or layer-like node, torch.add / torch.cat for Add / Concat, view ops for
    Reshape. Eval mode; single input, single output."""
    import operator
    model = onnx.load(path)
    g = model.graph
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [i.name for i in g.input if i.name not in consts]
    if len(inputs) != 1 or len(g.output) != 1:
        raise NotImplementedError("to_fx_module: one input and one output only")
    root = torch.nn.Module()
    fx = torch.fx.Graph()
    env = {inputs[0]: fx.placeholder("x")}
    for i, node in enumerate(g.node):
        a = _attrs(node)
        layer = _layer(node, a, consts)
        if layer is not None:
            name = f"n{i}_{node.op_type.lower()}"
            root.add_module(name, layer)
            out = fx.call_module(name, (env[node.input[0]],))
        elif node.op_type == "Add":
            out = fx.call_function(operator.add, (env[node.input[0]], env[node.input[1]]))
        elif node.op_type == "Concat":
            out = fx.call_function(torch.cat, ([env[n] for n in node.input],), {"dim": a["axis"]})
        elif node.op_type == "Reshape":
            shape = [int(v) for v in consts[node.input[1]]]
            out = fx.call_method("reshape", (env[node.input[0]], *[s if s != 0 else -1 for s in shape]))
        else:
            raise NotImplementedError(f"node '{node.name}' ({node.op_type}): not supported by to_fx_module")
        env[node.output[0]] = out
    fx.output(env[g.output[0].name])
    return torch.fx.GraphModule(root, fx).eval()


if __name__ == "__main__":
    mod = OnnxModule(sys.argv[1]).eval()
    shapes = []
    for i in onnx.load(sys.argv[1]).graph.input:
        if i.name in mod.input_names:
            dims = [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim]
            shapes.append(dims)
    with torch.no_grad():
        out = mod(*[torch.randn(s) for s in shapes])
    print(tuple(out.shape) if torch.is_tensor(out) else [tuple(o.shape) for o in out])
