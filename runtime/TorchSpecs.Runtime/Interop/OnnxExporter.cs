using System.Globalization;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Interop;

/// <summary>A model that ONNX or PyTorch source cannot express as TorchSpecs builds it; the message names the row and why.</summary>
public sealed class ModelExportException(string message) : Exception(message);

/// <summary>
/// Writes a generated model as an ONNX graph (opset <see cref="Opset"/>), straight from its layer
/// table (<see cref="ModelInfo"/>, <see cref="LayerInfo.Attributes"/>) and the module's weights, in
/// inference form: dropout is left out, batch norm uses its running statistics. The input is
/// <c>input</c> [N, C, H, W] (N dynamic), the output <c>logits</c> [N, classes] as the generated
/// <c>forward</c> returns them, and, when the spec ends in softmax, <c>probabilities</c> (the
/// softmax <c>Predict</c> applies). Nodes are named after the rows (<c>conv1</c>, <c>conv1_relu</c>),
/// initializers after the module's state-dict keys (<c>conv1.weight</c>), and the spec's name,
/// description, source and file go into the model's metadata. The protobuf classes are OnnxSharp's
/// (generated from onnx.proto over Google.Protobuf).
/// </summary>
public static class OnnxExporter
{
    /// <summary>The operator set written: 17 (LRN, Resize with pytorch_half_pixel, Pad with tensor inputs).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version that opset 17 belongs to.</summary>
    public const long IrVersion = 8;

    public const string InputName = "input";
    public const string OutputName = "logits";
    public const string ProbabilitiesName = "probabilities";

    /// <summary>Exports <paramref name="module"/> (built from <paramref name="model"/>, weights loaded) to <paramref name="path"/>, atomically.</summary>
    /// <param name="model">The static description of the model.</param>
    /// <param name="module">A module built from it, with its weights; evaluation mode is assumed.</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="metadata">More metadata entries (class names, normalization), written after the spec's.</param>
    public static void Export(ModelInfo model, nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var proto = Build(model, module, metadata);
        AtomicFile.Write(path, stream => proto.WriteTo(stream));
    }

    /// <summary>The ONNX model as a protobuf message.</summary>
    public static ModelProto Build(ModelInfo model, nn.Module module, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (Problem(model) is { } problem) throw new ModelExportException(problem);
        var state = module.state_dict();
        var graph = new GraphProto { Name = model.Name, DocString = model.Description ?? "" };
        var builder = new Builder(graph, state, model);
        graph.Input.Add(ValueInfo(InputName, model.Input.ToTorch(0)));

        string x = InputName;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            bool last = i == model.Layers.Count - 1;
            x = builder.Layer(layer, x, skipSoftmax: last && model.EndsInSoftmax);
        }
        builder.Rename(x, OutputName);
        graph.Output.Add(ValueInfo(OutputName, model.Output.ToTorch(0)));
        if (model.EndsInSoftmax)
        {
            builder.Node("Softmax", model.Layers[^1].Name + "_softmax", new[] { OutputName }, ProbabilitiesName, Int("axis", 1));
            graph.Output.Add(ValueInfo(ProbabilitiesName, model.Output.ToTorch(0)));
        }

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "TorchSpecs",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Domain = "org.torchspecs",
            ModelVersion = 1,
            DocString = model.Description ?? model.Name,
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        void Meta(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value)) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        Meta("model", model.Name);
        Meta("description", model.Description);
        Meta("source", model.Source);
        Meta("spec_file", model.SpecFile);
        Meta("input", model.Input.ToString());
        Meta("input_layout", model.Input.IsFlat ? "NC" : "NCHW");
        Meta("output", model.Output.ToString());
        Meta("layers", string.Join(",", model.Layers.Select(l => l.Name)));
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) Meta(key, value);
        return proto;
    }

    /// <summary>Why the model cannot be exported (the first row ONNX cannot express as TorchSpecs builds it), or null.</summary>
    public static string? Problem(ModelInfo model)
    {
        foreach (var layer in model.Layers)
        {
            string? why = layer.Attributes switch
            {
                LrnAttributes { Size: var size } when size % 2 == 0 =>
                    $"an even LRN size ({size}): PyTorch centres the window differently from ONNX's LRN (size/2 channels before, not (size-1)/2)",
                PoolAttributes { Dilation: var d } when layer.Kind == LayerKind.AvgPool && (d.Height != 1 || d.Width != 1) => "dilated average pooling has no ONNX operator",
                _ => null,
            };
            why ??= layer.Activation is null or "none" or "linear" or "relu" or "tanh" or "sigmoid" or "softmax" ? null : $"activation '{layer.Activation}' has no ONNX export here";
            if (why is not null) return $"{model.Name} ({model.SpecFile}), row {layer.Name}: {why}; the model cannot be exported to ONNX";
        }
        return null;
    }

    /// <summary>A float32 tensor value with a symbolic batch axis (a 0 in <paramref name="shape"/>[0]).</summary>
    private static ValueInfoProto ValueInfo(string name, long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long d in shape.Skip(1)) tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    private static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };
    private static AttributeProto Str(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    private sealed class Builder(GraphProto graph, IReadOnlyDictionary<string, Tensor> state, ModelInfo model)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public string Layer(LayerInfo layer, string x, bool skipSoftmax)
        {
            string name = layer.Name;
            switch (layer.Attributes)
            {
                case ConvAttributes c:
                {
                    var inputs = new List<string> { x, Weight(name, "weight") };
                    if (c.Bias) inputs.Add(Weight(name, "bias"));
                    x = Node("Conv", name, inputs, name,
                        Ints("kernel_shape", c.Kernel.Height, c.Kernel.Width), Ints("strides", c.Stride.Height, c.Stride.Width),
                        Ints("pads", c.Padding.Top, c.Padding.Left, c.Padding.Bottom, c.Padding.Right),
                        Ints("dilations", c.Dilation.Height, c.Dilation.Width), Int("group", c.Groups));
                    break;
                }
                case PoolAttributes p:
                {
                    bool max = layer.Kind == LayerKind.MaxPool;
                    // As the generated module: padding the pool cannot take itself (uneven, or more than half the kernel) is a pad before it.
                    bool native = PaddingRules.PoolTakesPadding(p);
                    var pads = p.Padding;
                    if (!native)
                    {
                        x = Pad(name + "_pad", x, pads, max ? float.NegativeInfinity : 0f);
                        pads = Padding2D.None;
                    }
                    var attributes = new List<AttributeProto>
                    {
                        Ints("kernel_shape", p.Kernel.Height, p.Kernel.Width), Ints("strides", p.Stride.Height, p.Stride.Width),
                        Ints("pads", pads.Top, pads.Left, pads.Bottom, pads.Right), Int("ceil_mode", p.Ceil ? 1 : 0),
                    };
                    if (max) attributes.Add(Ints("dilations", p.Dilation.Height, p.Dilation.Width));
                    else if (p.Dilation.Height != 1 || p.Dilation.Width != 1) throw Unsupported(layer, "dilated average pooling has no ONNX operator");
                    // Without padding, PyTorch divides a ceil-mode window that hangs over the edge by the pixels inside: ONNX's count_include_pad=0.
                    else attributes.Add(Int("count_include_pad", p.CountIncludePad && !pads.IsZero ? 1 : 0));
                    x = Node(max ? "MaxPool" : "AveragePool", name, new[] { x }, name, attributes.ToArray());
                    break;
                }
                case AdaptiveAvgPoolAttributes a:
                    x = AdaptivePool(layer, a, x);
                    break;
                case LrnAttributes l:
                    if (l.Size % 2 == 0)
                        throw Unsupported(layer, $"an even LRN size ({l.Size}): PyTorch centres the window differently from ONNX's LRN (size/2 channels before, not (size-1)/2)");
                    x = Node("LRN", name, new[] { x }, name, Int("size", l.Size), Float("alpha", l.Alpha), Float("beta", l.Beta), Float("bias", l.K));
                    break;
                case BatchNormAttributes b:
                    x = Node("BatchNormalization", name,
                        new[] { x, Weight(name, "weight"), Weight(name, "bias"), Weight(name, "running_mean"), Weight(name, "running_var") }, name,
                        Float("epsilon", b.Eps), Float("momentum", 1 - b.Momentum));
                    break;
                case DropoutAttributes:
                    return x; // inference: the identity
                case FlattenAttributes:
                    x = Node("Flatten", name, new[] { x }, name, Int("axis", 1));
                    break;
                case GlobalAvgPoolAttributes:
                    x = Node("GlobalAveragePool", name + "_pool", new[] { x }, name + "_pool");
                    x = Node("Flatten", name, new[] { x }, name, Int("axis", 1));
                    break;
                case DenseAttributes d:
                {
                    var inputs = new List<string> { x, Weight(name, "weight") };
                    if (d.Bias) inputs.Add(Weight(name, "bias"));
                    x = Node("Gemm", name, inputs, name, Int("transB", 1));
                    break;
                }
                case ZeroPadAttributes z:
                    x = Pad(name, x, z.Padding, 0f);
                    break;
                case ResizeAttributes r:
                {
                    string shape = Node("Shape", name + "_shape", new[] { x }, name + "_shape");
                    string batchAndChannels = Node("Slice", name + "_nc", new[] { shape, Constant(name + "_nc_start", 0L), Constant(name + "_nc_end", 2L) }, name + "_nc");
                    string sizes = Node("Concat", name + "_sizes", new[] { batchAndChannels, Constant(name + "_hw", r.Size.Height, r.Size.Width) }, name + "_sizes", Int("axis", 0));
                    x = Node("Resize", name, new[] { x, "", "", sizes }, name,
                        Str("mode", "linear"), Str("coordinate_transformation_mode", "pytorch_half_pixel"));
                    break;
                }
                case ActivationAttributes:
                    break;
                default:
                    throw Unsupported(layer, $"{layer.Attributes.GetType().Name} rows have no ONNX export");
            }
            return Activation(layer, x, skipSoftmax);
        }

        private string Activation(LayerInfo layer, string x, bool skipSoftmax)
        {
            string suffix = layer.Kind == LayerKind.Activation ? "" : "_" + layer.Activation;
            string name = layer.Name + suffix;
            return layer.Activation switch
            {
                null or "none" or "linear" => x,
                "relu" => Node("Relu", name, new[] { x }, name),
                "tanh" => Node("Tanh", name, new[] { x }, name),
                "sigmoid" => Node("Sigmoid", name, new[] { x }, name),
                "softmax" when skipSoftmax => x,
                "softmax" => Node("Softmax", name, new[] { x }, name, Int("axis", 1)),
                _ => throw Unsupported(layer, $"activation '{layer.Activation}' has no ONNX export here"),
            };
        }

        /// <summary>
        /// Adaptive average pooling, exactly: output row i averages input rows floor(i·in/out) to
        /// ceil((i+1)·in/out), so it is out = A_h · x · A_wᵀ with fixed averaging matrices; the
        /// identity when sizes match, GlobalAveragePool for 1x1, an AveragePool when they divide.
        /// </summary>
        private string AdaptivePool(LayerInfo layer, AdaptiveAvgPoolAttributes a, string x)
        {
            string name = layer.Name;
            long inH = layer.Input.Height, inW = layer.Input.Width;
            int outH = a.Size.Height, outW = a.Size.Width;
            if (inH == outH && inW == outW) return x;
            if (outH == 1 && outW == 1) return Node("GlobalAveragePool", name, new[] { x }, name);
            if (inH % outH == 0 && inW % outW == 0)
            {
                long kh = inH / outH, kw = inW / outW;
                return Node("AveragePool", name, new[] { x }, name, Ints("kernel_shape", kh, kw), Ints("strides", kh, kw), Ints("pads", 0, 0, 0, 0));
            }
            string rows = Initializer(name + "_rows", Averaging(outH, inH), new long[] { outH, inH });
            string cols = Initializer(name + "_cols", Transposed(Averaging(outW, inW), outW, (int)inW), new long[] { inW, outW });
            string right = Node("MatMul", name + "_w", new[] { x, cols }, name + "_w");
            return Node("MatMul", name, new[] { rows, right }, name);
        }

        private static float[] Averaging(int output, long input)
        {
            var m = new float[output * input];
            for (int i = 0; i < output; i++)
            {
                long start = i * input / output, end = ((i + 1) * input + output - 1) / output;
                for (long j = start; j < end; j++) m[i * input + j] = 1f / (end - start);
            }
            return m;
        }

        private static float[] Transposed(float[] m, int rows, int cols)
        {
            var t = new float[m.Length];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
            return t;
        }

        private string Pad(string name, string x, Padding2D p, float value)
        {
            string pads = Constant(name + "_pads", 0, 0, p.Top, p.Left, 0, 0, p.Bottom, p.Right);
            string fill = Initializer(name + "_value", new[] { value }, Array.Empty<long>());
            return Node("Pad", name, new[] { x, pads, fill }, name, Str("mode", "constant"));
        }

        public string Node(string op, string name, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
        {
            output = Unique(output);
            var node = new NodeProto { OpType = op, Name = Unique(name == output ? name : name, nodeName: true) };
            node.Input.Add(inputs);
            node.Output.Add(output);
            node.Attribute.Add(attributes);
            graph.Node.Add(node);
            return output;
        }

        /// <summary>Renames the value <paramref name="from"/> to <paramref name="to"/> (the graph output).</summary>
        public void Rename(string from, string to)
        {
            if (from == InputName)
            {
                Node("Identity", to, new[] { from }, to);
                return;
            }
            foreach (var node in graph.Node)
            {
                for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
            }
        }

        private readonly HashSet<string> _nodes = new(StringComparer.Ordinal);

        private string Unique(string name, bool nodeName = false)
        {
            var set = nodeName ? _nodes : _used;
            string candidate = name;
            for (int i = 2; !set.Add(candidate); i++) candidate = string.Create(CultureInfo.InvariantCulture, $"{name}_{i}");
            return candidate;
        }

        /// <summary>The state-dict tensor <c>row.tensor</c> as a float32 initializer of that name.</summary>
        private string Weight(string row, string tensor)
        {
            string key = $"{row}.{tensor}";
            if (!state.TryGetValue(key, out var value))
                throw new ModelExportException($"{model.Name}: the module has no tensor '{key}' for row {row}; was it built from this ModelInfo?");
            using var cpu = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
            return Initializer(key, cpu.data<float>().ToArray(), cpu.shape);
        }

        private string Initializer(string name, float[] values, long[] shape)
        {
            var t = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
            t.Dims.Add(shape);
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            t.RawData = ByteString.CopyFrom(bytes);
            graph.Initializer.Add(t);
            return t.Name;
        }

        private string Constant(string name, params long[] values)
        {
            var t = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
            t.Dims.Add(values.Length);
            t.Int64Data.Add(values);
            graph.Initializer.Add(t);
            return t.Name;
        }

        private ModelExportException Unsupported(LayerInfo layer, string why) =>
            new($"{model.Name} ({model.SpecFile}), row {layer.Name}: {why}; the model cannot be exported to ONNX");
    }
}
