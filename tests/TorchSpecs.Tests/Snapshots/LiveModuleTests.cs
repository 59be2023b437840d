using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSpecs.Models;
using Xunit.Sdk;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Snapshots;

/// <summary>
/// Static equals runtime: for every model, the layer table computed from the spec equals the one
/// measured on the live TorchSharp module (forward hooks on a real forward pass: each layer's
/// output shape, its parameters and batch-norm buffers, the module type it is).
/// One model at a time (serial collection), batch 1, no gradients, disposed before the next.
/// </summary>
[Collection(SerialCollection.Name)]
public class LiveModuleTests
{
    /// <summary>The repository's models and the test project's own (tests/TorchSpecs.Tests/specs: uneven Keras same padding, ceil pools, ...).</summary>
    private static IEnumerable<ModelInfo> All => ModelCatalog.All.Concat(TorchSpecs.Tests.TestModels.ModelCatalog.All);

    public static TheoryData<string> Models() => new(All.Select(m => m.Name));

    [Theory]
    [MemberData(nameof(Models))]
    public void SummaryFromTheSpecEqualsTheSummaryMeasuredOnTheLiveModule(string model)
    {
        var info = All.Single(m => m.Name == model);
        if (Difference(info) is { } difference) throw new XunitException(difference);
    }

    [Theory]
    [InlineData("KerasSameEven", "strided")]
    [InlineData("KerasSameEven", "pool")]
    [InlineData("KerasSameOddPool", "pool1")]
    public void AnUnevenSamePaddingModuleFoldsIntoItsRow(string model, string row)
    {
        // The generated model holds the padding module as <row>_pad: it is measured as part of
        // its row (the row's output, the row's parameters), never as a row of its own.
        var info = All.Single(m => m.Name == model);
        using var scope = NewDisposeScope();
        using var module = info.Create();
        Assert.Contains(module.named_children(), c => c.name == row + "_pad");
        var measured = ModelCheck.Measure(info, module, batch: 1);
        Assert.Equal(info.Layers.Select(l => l.Name), measured.Select(m => m.Name));
        Assert.Equal(info.Layers.Single(l => l.Name == row).Output, measured.Single(m => m.Name == row).Output);
        Assert.True(ModelCheck.Run(info, batch: 1).Passed);
    }

    [Fact]
    public void ASpecRowThatTheModuleDoesNotBuildShowsAsADiffOfThatRowAndTheTotal()
    {
        var real = ModelCatalog.All.Single(m => m.Name == "Vgg16Cifar10");
        var layers = real.Layers.Select(l => l.Name == "block1_conv2" ? l with { TrainableParams = l.TrainableParams + 1 } : l).ToArray();
        var wrong = new ModelInfo(real.Name, real.Description, real.Source, real.SpecFile, real.Input, layers, real.Create);

        string difference = Assert.IsType<string>(Difference(wrong));
        var changed = difference.Split('\n').Where(l => (l.StartsWith('-') || l.StartsWith('+')) && !l.StartsWith("---") && !l.StartsWith("+++")).ToArray();
        Assert.Equal(new[]
        {
            "-block1_conv2  conv  32x32x64  trainable 36,929  non-trainable 0",
            "+block1_conv2  conv  32x32x64  trainable 36,928  non-trainable 0",
            "-Trainable params: 33,638,219",
            "+Trainable params: 33,638,218",
        }, changed);
    }

    [Fact]
    public void AnAttributeTheModuleDoesNotApplyShowsAsADiffOfThatRowsAttributes()
    {
        var real = ModelCatalog.All.Single(m => m.Name == "AlexNetTorchLrn");
        var layers = real.Layers.Select(l => l.Attributes switch
        {
            LrnAttributes n when l.Name == "lrn2" => l with { Attributes = n with { K = 1 } },
            DropoutAttributes d when l.Name == "drop7" => l with { Attributes = d with { Rate = 0.25 } },
            _ => l,
        }).ToArray();
        var wrong = new ModelInfo(real.Name, real.Description, real.Source, real.SpecFile, real.Input, layers, real.Create);

        string difference = Assert.IsType<string>(Difference(wrong));
        var changed = difference.Split('\n').Where(l => (l.StartsWith('-') || l.StartsWith('+')) && !l.StartsWith("---") && !l.StartsWith("+++")).ToArray();
        Assert.Equal(new[]
        {
            "-    size 5 alpha 0.0001 beta 0.75 k 1",
            "+    size 5 alpha 0.0001 beta 0.75 k 2",
            "-    rate 0.25",
            "+    rate 0.5",
        }, changed);
    }

    /// <summary>Null when the spec's layer table equals the live module's; otherwise a unified diff, spec (-) to module (+).</summary>
    public static string? Difference(ModelInfo model)
    {
        string fromSpec = FromSpec(model);
        string measured = Measured(model);
        return fromSpec == measured
            ? null
            : $"{model.Name}: the live module differs from its spec ({model.SpecFile}):\n\n"
              + Snapshot.Diff(fromSpec, measured, "from the spec", "measured on the live module");
    }

    /// <summary>The layer table as the spec (the generated <see cref="ModelInfo"/>) states it.</summary>
    public static string FromSpec(ModelInfo model) => Format(model,
        model.Layers.Select(l => (l.Name, DocumentedKind(l.Kind), l.Output, l.TrainableParams, l.NonTrainableParams, SpecAttributes(l))),
        model.TrainableParams, model.NonTrainableParams);

    /// <summary>The layer table measured on a freshly built module, which is disposed before returning.</summary>
    public static string Measured(ModelInfo model)
    {
        using var scope = NewDisposeScope();
        using var module = model.Create();
        module.eval();
        var children = module.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        var types = children.ToDictionary(c => c.Key, c => c.Value.GetType().Name, StringComparer.Ordinal);
        var layers = ModelCheck.Measure(model, module, batch: 1);
        long trainable = module.parameters().Sum(p => p.numel());
        long buffers = module.named_buffers().Where(b => b.name.EndsWith("running_mean", StringComparison.Ordinal) || b.name.EndsWith("running_var", StringComparison.Ordinal)).Sum(b => b.buffer.numel());
        return Format(model,
            layers.Select(l => (l.Name, RuntimeKind(types[l.Name]), l.Output, l.TrainableParams, l.NonTrainableParams,
                ModuleAttributes(children[l.Name], children.GetValueOrDefault(l.Name + "_pad")))),
            trainable, buffers);
    }

    /// <summary>The row's <see cref="LayerInfo.Attributes"/>, in the words <see cref="ModuleAttributes"/> uses.</summary>
    public static string SpecAttributes(LayerInfo layer) => layer.Attributes switch
    {
        ConvAttributes c => Invariant($"filters {c.Filters} kernel {c.Kernel.Height}x{c.Kernel.Width} stride {c.Stride.Height}x{c.Stride.Width} padding {Sides(c.Padding)} dilation {c.Dilation.Height}x{c.Dilation.Width} groups {c.Groups} bias {c.Bias}"),
        PoolAttributes p => Invariant($"kernel {p.Kernel.Height}x{p.Kernel.Width} stride {p.Stride.Height}x{p.Stride.Width} padding {Sides(p.Padding)} dilation {p.Dilation.Height}x{p.Dilation.Width} ceil {p.Ceil}")
                            + (layer.Kind == LayerKind.AvgPool ? Invariant($" count_include_pad {p.CountIncludePad}") : ""),
        AdaptiveAvgPoolAttributes a => Invariant($"size {a.Size.Height}x{a.Size.Width}"),
        ResizeAttributes r => Invariant($"size {r.Size.Height}x{r.Size.Width}"),
        LrnAttributes n => Invariant($"size {n.Size} alpha {n.Alpha:R} beta {n.Beta:R} k {n.K:R}"),
        BatchNormAttributes b => Invariant($"eps {b.Eps:R} momentum {b.Momentum:R}"),
        DropoutAttributes d => Invariant($"rate {d.Rate:R}"),
        DenseAttributes d => Invariant($"units {d.Units} bias {d.Bias}"),
        ZeroPadAttributes z => $"padding {Sides(z.Padding)}",
        // A kind without hyperparameters (flatten, activation, global_avgpool): its attributes have no keys.
        var keyless when !keyless.Keys().Any() => "-",
        var other => other.ToString(),
    };

    /// <summary>The same facts read off a live TorchSharp module (and the padding module before it, if any).</summary>
    public static string ModuleAttributes(nn.Module module, nn.Module? pad)
    {
        // A padding module holds (left, right, top, bottom); the layer's own padding is symmetric (h, w).
        long[] outer = (pad as TorchSharp.Modules.PadBase)?.padding ?? new long[] { 0, 0, 0, 0 };
        string Padding(long[] inner) => Sides(new Padding2D((int)(outer[2] + inner[0]), (int)(outer[3] + inner[0]), (int)(outer[0] + inner[1]), (int)(outer[1] + inner[1])));
        static string Pair(long[] p) => Invariant($"{p[0]}x{p[1]}");
        return module switch
        {
            TorchSharp.Modules.Conv2d c => Invariant($"filters {c.out_channels} kernel {Pair(c.kernel_size)} stride {Pair(c.stride)} padding {Padding(c.padding ?? new long[] { -1, -1 })} dilation {Pair(c.dilation)} groups {c.groups} bias {c.bias is not null}"),
            TorchSharp.Modules.MaxPool2d m => Invariant($"kernel {Pair(m.kernel_size)} stride {Pair(m.stride)} padding {Padding(m.padding)} dilation {Pair(m.dilation)} ceil {m.ceil_mode}"),
            TorchSharp.Modules.AvgPool2d a => Invariant($"kernel {Pair(a.kernel_size)} stride {Pair(a.stride)} padding {Padding(a.padding ?? new long[] { 0, 0 })} dilation 1x1 ceil {a.ceil_mode} count_include_pad {a.count_include_pad}"),
            TorchSharp.Modules.AdaptiveAvgPool2d a => Invariant($"size {Pair(a.output_size)}"),
            TorchSpecs.Layers.Resize r => Invariant($"size {r.Height}x{r.Width}"),
            TorchSharp.Modules.LocalResponseNorm n => Invariant($"size {n.size} alpha {n.alpha:R} beta {n.beta:R} k {n.k:R}"),
            TorchSharp.Modules.BatchNorm b => Invariant($"eps {b.eps:R} momentum {b.momentum:R}"),
            TorchSharp.Modules.Dropout d => Invariant($"rate {d.p:R}"),
            TorchSharp.Modules.Linear l => Invariant($"units {l.out_features} bias {l.bias is not null}"),
            TorchSharp.Modules.ZeroPad2d z => $"padding {Sides(new Padding2D((int)z.padding[2], (int)z.padding[3], (int)z.padding[0], (int)z.padding[1]))}",
            _ => "-",
        };
    }

    private static string Sides(Padding2D p) => Invariant($"({p.Top}, {p.Bottom}, {p.Left}, {p.Right})");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Format(ModelInfo model, IEnumerable<(string Name, string Kind, TensorShape Output, long Trainable, long NonTrainable, string Attributes)> rows, long trainable, long nonTrainable)
    {
        var text = new StringBuilder();
        text.Append($"Model {model.Name}, input {model.Input}\n");
        foreach (var row in rows)
            text.Append(CultureInfo.InvariantCulture, $"{row.Name}  {row.Kind}  {row.Output}  trainable {ModelSummary.Thousands(row.Trainable)}  non-trainable {ModelSummary.Thousands(row.NonTrainable)}\n    {row.Attributes}\n");
        text.Append($"Trainable params: {ModelSummary.Thousands(trainable)}\n");
        text.Append($"Non-trainable params: {ModelSummary.Thousands(nonTrainable)}\n");
        return text.ToString();
    }

    private static string DocumentedKind(LayerKind kind) => Documented.DocumentedTable.KindName(kind);

    /// <summary>The spec kind a TorchSharp module type implements (the shared <see cref="LayerKinds"/> table); an unknown type shows as itself.</summary>
    public static string RuntimeKind(string moduleType) => LayerKinds.FromModuleType(moduleType)?.TypeName() ?? moduleType;
}
