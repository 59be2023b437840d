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
    public static TheoryData<string> Models() => new(ModelCatalog.All.Select(m => m.Name));

    [Theory]
    [MemberData(nameof(Models))]
    public void SummaryFromTheSpecEqualsTheSummaryMeasuredOnTheLiveModule(string model)
    {
        var info = ModelCatalog.All.Single(m => m.Name == model);
        if (Difference(info) is { } difference) throw new XunitException(difference);
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
        model.Layers.Select(l => (l.Name, DocumentedKind(l.Kind), l.Output, l.TrainableParams, l.NonTrainableParams)),
        model.TrainableParams, model.NonTrainableParams);

    /// <summary>The layer table measured on a freshly built module, which is disposed before returning.</summary>
    public static string Measured(ModelInfo model)
    {
        using var scope = NewDisposeScope();
        using var module = model.Create();
        module.eval();
        var types = module.named_children().ToDictionary(c => c.name, c => c.module.GetType().Name, StringComparer.Ordinal);
        var layers = ModelCheck.Measure(module, model.Input, batch: 1);
        long trainable = module.parameters().Sum(p => p.numel());
        long buffers = module.named_buffers().Where(b => b.name.EndsWith("running_mean", StringComparison.Ordinal) || b.name.EndsWith("running_var", StringComparison.Ordinal)).Sum(b => b.buffer.numel());
        return Format(model,
            layers.Select(l => (l.Name, RuntimeKind(types[l.Name]), l.Output, l.TrainableParams, l.NonTrainableParams)),
            trainable, buffers);
    }

    private static string Format(ModelInfo model, IEnumerable<(string Name, string Kind, TensorShape Output, long Trainable, long NonTrainable)> rows, long trainable, long nonTrainable)
    {
        var text = new StringBuilder();
        text.Append($"Model {model.Name}, input {model.Input}\n");
        foreach (var row in rows)
            text.Append(CultureInfo.InvariantCulture, $"{row.Name}  {row.Kind}  {row.Output}  trainable {ModelSummary.Thousands(row.Trainable)}  non-trainable {ModelSummary.Thousands(row.NonTrainable)}\n");
        text.Append($"Trainable params: {ModelSummary.Thousands(trainable)}\n");
        text.Append($"Non-trainable params: {ModelSummary.Thousands(nonTrainable)}\n");
        return text.ToString();
    }

    private static string DocumentedKind(LayerKind kind) => Documented.DocumentedTable.KindName(kind);

    /// <summary>The spec kind a TorchSharp module type implements; an unknown type shows as itself.</summary>
    public static string RuntimeKind(string moduleType) => moduleType switch
    {
        "Conv2d" => "conv",
        "MaxPool2d" => "maxpool",
        "AvgPool2d" => "avgpool",
        "AdaptiveAvgPool2d" => "adaptive_avgpool",
        "LocalResponseNorm" => "lrn",
        "BatchNorm2d" => "batchnorm",
        "Dropout" => "dropout",
        "Flatten" => "flatten",
        "Linear" => "dense",
        "ZeroPad2d" => "zeropad",
        "Resize" => "resize",
        "ReLU" or "Tanh" or "Sigmoid" or "Softmax" => "activation",
        _ => moduleType,
    };
}
