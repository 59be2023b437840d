using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TorchSpecs.Interop;

/// <summary>
/// Writes a generated model as a readable PyTorch <c>nn.Module</c> source file, straight from its
/// layer table (<see cref="ModelInfo"/> and <see cref="LayerInfo.Attributes"/>, never the YAML): one
/// attribute per row, named like the row, so its <c>state_dict()</c> keys are exactly the .NET
/// module's (<c>conv1.weight</c>, <c>bn1.running_mean</c>) and weights .NET saves
/// (<c>ModelWeights.Save(module, info, "w.pth")</c>) load with <c>load_state_dict(strict=True)</c>.
/// Padding a layer cannot take itself is an <c>F.pad</c> in <c>forward</c>, as the generated module's
/// pad modules (which hold no tensors); a final softmax is left to <c>predict</c>, as in .NET.
/// Initializers are PyTorch's defaults: the table carries none.
/// </summary>
public static partial class PyTorchExporter
{
    /// <summary>nn.Module members a row name must not shadow.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "forward", "predict", "training", "train", "eval", "parameters", "named_parameters", "buffers", "named_buffers", "children", "modules",
        "named_modules", "state_dict", "load_state_dict", "apply", "cuda", "cpu", "to", "type", "float", "double", "half", "bfloat16", "zero_grad",
        "register_buffer", "register_parameter", "add_module", "requires_grad_", "dump_patches", "call_super_init", "input_shape", "num_classes",
        "torch", "nn", "F", "self", "x", "input",
    };

    /// <summary>The file name for a model: <c>FashionVgg</c> → <c>fashion_vgg.py</c>.</summary>
    public static string FileName(ModelInfo model) => SnakeCase(model.Name) + ".py";

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/>; returns its path.</summary>
    public static string Export(ModelInfo model, string directory)
    {
        string source = Source(model);
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName(model));
        AtomicFile.Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(source)));
        return path;
    }

    /// <summary>The Python source of the module.</summary>
    public static string Source(ModelInfo model)
    {
        foreach (var layer in model.Layers)
        {
            if (!Identifier().IsMatch(layer.Name) || Python.Contains(layer.Name) || Reserved.Contains(layer.Name))
                throw new ModelExportException($"{model.Name} ({model.SpecFile}), row {layer.Name}: not usable as a Python attribute name (an identifier that is no keyword and no nn.Module member); rename the row to export it to PyTorch");
        }
        var init = new List<string>();
        var forward = new List<string>();
        foreach (var (layer, index) in model.Layers.Select((l, i) => (l, i)))
        {
            bool last = index == model.Layers.Count - 1;
            string self = "self." + layer.Name;
            string? module = null;
            string call = $"{self}(x)";
            switch (layer.Attributes)
            {
                case ConvAttributes c:
                {
                    var padding = c.Padding;
                    if (!padding.IsSymmetric)
                    {
                        forward.Add($"x = F.pad(x, {Sides(padding)})  # uneven padding (left, right, top, bottom)");
                        padding = Padding2D.None;
                    }
                    module = $"nn.Conv2d({layer.Input.Channels}, {c.Filters}, kernel_size={Pair(c.Kernel)}, stride={Pair(c.Stride)}, padding={Pair(padding.Top, padding.Left)}" +
                             $"{(c.Dilation is { Height: 1, Width: 1 } ? "" : $", dilation={Pair(c.Dilation)}")}{(c.Groups == 1 ? "" : $", groups={c.Groups}")}{(c.Bias ? "" : ", bias=False")})";
                    break;
                }
                case PoolAttributes p:
                {
                    bool max = layer.Kind == LayerKind.MaxPool;
                    var padding = p.Padding;
                    if (!PaddingRules.PoolTakesPadding(p))
                    {
                        forward.Add($"x = F.pad(x, {Sides(padding)}{(max ? ", value=float(\"-inf\")" : "")})  # padding the pool cannot take itself (left, right, top, bottom)");
                        padding = Padding2D.None;
                    }
                    string common = $"kernel_size={Pair(p.Kernel)}, stride={Pair(p.Stride)}, padding={Pair(padding.Top, padding.Left)}{(p.Ceil ? ", ceil_mode=True" : "")}";
                    module = max
                        ? $"nn.MaxPool2d({common}{(p.Dilation is { Height: 1, Width: 1 } ? "" : $", dilation={Pair(p.Dilation)}")})"
                        : $"nn.AvgPool2d({common}{(p.CountIncludePad ? "" : ", count_include_pad=False")})";
                    break;
                }
                case AdaptiveAvgPoolAttributes a:
                    module = $"nn.AdaptiveAvgPool2d({Pair(a.Size)})";
                    break;
                case LrnAttributes l:
                    module = $"nn.LocalResponseNorm({l.Size}, alpha={Num(l.Alpha)}, beta={Num(l.Beta)}, k={Num(l.K)})" +
                             (l.DepthRadius is int radius ? $"  # TensorFlow's depth_radius {radius}: alpha multiplied by the size" : "");
                    break;
                case BatchNormAttributes b:
                    module = $"nn.BatchNorm{(layer.Input.IsFlat ? "1" : "2")}d({layer.Input.Channels}, eps={Num(b.Eps)}, momentum={Num(b.Momentum)})";
                    break;
                case DropoutAttributes d:
                    module = $"nn.Dropout({Num(d.Rate)})";
                    break;
                case FlattenAttributes:
                    module = "nn.Flatten()";
                    break;
                case GlobalAvgPoolAttributes:
                    module = "nn.AdaptiveAvgPool2d(1)";
                    call = $"torch.flatten({self}(x), 1)";
                    break;
                case DenseAttributes d:
                    module = $"nn.Linear({layer.Input.Channels}, {d.Units}{(d.Bias ? "" : ", bias=False")})";
                    break;
                case ZeroPadAttributes z:
                    module = $"nn.ZeroPad2d({Sides(z.Padding)})";
                    break;
                case ResizeAttributes r:
                    module = $"nn.Upsample(size={Pair(r.Size)}, mode=\"bilinear\", align_corners=False)";
                    break;
                case ActivationAttributes:
                    call = "x";
                    break;
                default:
                    throw new ModelExportException($"{model.Name}, row {layer.Name}: {layer.Attributes.GetType().Name} rows have no PyTorch export");
            }
            if (module is not null) init.Add($"{self} = {module}");
            string activated = layer.Activation switch
            {
                null or "none" or "linear" => call,
                "softmax" when last => call,
                "relu" => $"F.relu({call})",
                "tanh" => $"torch.tanh({call})",
                "sigmoid" => $"torch.sigmoid({call})",
                "softmax" => $"F.softmax({call}, dim=1)",
                _ => throw new ModelExportException($"{model.Name}, row {layer.Name}: activation '{layer.Activation}' has no PyTorch export"),
            };
            string comment = $"  # {layer.Output}" + (layer.Activation == "softmax" && last ? " (logits: softmax in predict)" : "");
            if (activated != "x") forward.Add($"x = {activated}{comment}");
        }

        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        Line($"\"\"\"{model.Name}: {Escape(model.Description ?? model.Name)}.");
        Line();
        if (model.Source is not null) Line($"Source: {Escape(model.Source)}.");
        Line($"Generated by TorchSpecs (`export {model.Name} --format pytorch`) from the layer table of {model.SpecFile}; edit");
        Line("the spec and export again rather than this file. The state_dict keys are the .NET module's, so");
        Line("weights that .NET saves as .pth or .safetensors load with load_state_dict(strict=True).");
        Line($"Input [N, {string.Join(", ", model.Input.ToTorch(1).Skip(1))}] float32, output [N, {model.Classes}]{(model.EndsInSoftmax ? " logits (predict applies the softmax)" : "")}.");
        Line("\"\"\"");
        Line("import torch");
        Line("from torch import nn");
        Line("import torch.nn.functional as F");
        Line();
        Line($"__all__ = [\"{model.Name}\"]");
        Line();
        Line();
        Line($"class {model.Name}(nn.Module):");
        Line($"    \"\"\"{Escape(model.Description ?? model.Name)} ({model.Layers.Count} rows, {model.TrainableParams.ToString("N0", CultureInfo.InvariantCulture)} trainable parameters).\"\"\"");
        Line();
        Line($"    input_shape = ({string.Join(", ", model.Input.ToTorch(1).Skip(1))},)");
        Line($"    num_classes = {model.Classes}");
        Line();
        Line("    def __init__(self):");
        Line("        super().__init__()");
        foreach (var line in init) Line("        " + line);
        Line();
        Line("    def forward(self, x):");
        foreach (var line in forward) Line("        " + line);
        Line("        return x");
        Line();
        Line("    @torch.no_grad()");
        Line("    def predict(self, x):");
        Line("        \"\"\"Class probabilities: softmax over forward's logits.\"\"\"");
        Line("        return F.softmax(self.forward(x), dim=1)");
        return text.ToString();
    }

    private static string Pair(Size2D s) => s.IsSquare ? s.Height.ToString(CultureInfo.InvariantCulture) : $"({s.Height}, {s.Width})";
    private static string Pair(int h, int w) => h == w ? h.ToString(CultureInfo.InvariantCulture) : $"({h}, {w})";
    private static string Sides(Padding2D p) => $"({p.Left}, {p.Right}, {p.Top}, {p.Bottom})";
    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"\"\"", "\\\"\\\"\\\"");

    private static string SnakeCase(string name) =>
        Regex.Replace(Regex.Replace(name, "([a-z0-9])([A-Z])", "$1_$2"), "([A-Z]+)([A-Z][a-z])", "$1_$2").ToLowerInvariant();

    private static readonly HashSet<string> Python = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
        "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
        "while", "with", "yield",
    };

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}

/// <summary>Where a generated module puts a row's padding, shared by the exporters so that they build what the generator builds.</summary>
internal static class PaddingRules
{
    /// <summary>A pool takes its padding itself when it is even and at most half the kernel (libtorch's limit); otherwise a pad comes first.</summary>
    public static bool PoolTakesPadding(PoolAttributes p) =>
        p.Padding.IsSymmetric && p.Padding.Top <= p.Kernel.Height / 2 && p.Padding.Left <= p.Kernel.Width / 2;
}
