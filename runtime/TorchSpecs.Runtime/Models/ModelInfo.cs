using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>The kind of a layer row, as the spec's <c>type</c> names it.</summary>
public enum LayerKind { Conv, MaxPool, AvgPool, AdaptiveAvgPool, Lrn, BatchNorm, Dropout, Flatten, Dense, ZeroPad, Resize, Activation }

/// <summary>One row of a model's layer table, known at build time.</summary>
/// <param name="Name">The row's name in the spec, also its key in the module's state dict.</param>
/// <param name="Property">The generated property that holds the layer.</param>
/// <param name="Kind">The row's type.</param>
/// <param name="Input">The input shape (without the batch axis).</param>
/// <param name="Output">The output shape (without the batch axis).</param>
/// <param name="TrainableParams">Parameters that training updates.</param>
/// <param name="NonTrainableParams">Keras' non-trainable parameters: batch norm's moving mean and variance.</param>
/// <param name="MultiplyAdds">Multiply-accumulate operations for one image.</param>
/// <param name="Activation">The activation folded into the row, or null.</param>
/// <param name="Description">The row in words: "conv 11x11, 96 filters, stride 4, relu".</param>
/// <param name="Attributes">The row's hyperparameters as the module applies them, one record type per kind.</param>
/// <param name="TorchName">The row's module path in a PyTorch state dict (the spec's <c>torch_name</c>, e.g. <c>features.0</c>), or null.</param>
public sealed record LayerInfo(
    string Name, string Property, LayerKind Kind, TensorShape Input, TensorShape Output,
    long TrainableParams, long NonTrainableParams, long MultiplyAdds, string? Activation, string Description,
    LayerAttributes Attributes, string? TorchName = null)
{
    public long TotalParams => TrainableParams + NonTrainableParams;

    /// <summary>The row's <c>type</c> as the spec writes it: <c>conv</c>, <c>adaptive_avgpool</c>, ...</summary>
    public string TypeName => Kind switch
    {
        LayerKind.AdaptiveAvgPool => "adaptive_avgpool",
        LayerKind.BatchNorm => "batchnorm",
        LayerKind.ZeroPad => "zeropad",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Keras' class name for the row, as its summaries print it.</summary>
    public string KerasType => Kind switch
    {
        LayerKind.Conv => "Conv2D",
        LayerKind.MaxPool => "MaxPooling2D",
        LayerKind.AvgPool => "AveragePooling2D",
        LayerKind.AdaptiveAvgPool => "AdaptiveAvgPool2D",
        LayerKind.Lrn => "LRN",
        LayerKind.BatchNorm => "BatchNormalization",
        LayerKind.Dropout => "Dropout",
        LayerKind.Flatten => "Flatten",
        LayerKind.Dense => "Dense",
        LayerKind.ZeroPad => "ZeroPadding2D",
        LayerKind.Resize => "Resizing",
        LayerKind.Activation => "Activation",
        _ => Kind.ToString(),
    };
}

/// <summary>
/// A generated model's static description: its layer table with shapes and parameter counts,
/// and a factory. Everything here is known without building the network.
/// </summary>
public sealed class ModelInfo
{
    private readonly Func<Device?, ScalarType?, nn.Module<Tensor, Tensor>> _create;

    public ModelInfo(string name, string? description, string? source, string specFile, TensorShape input,
        IReadOnlyList<LayerInfo> layers, Func<Device?, ScalarType?, nn.Module<Tensor, Tensor>> create)
    {
        Name = name;
        Description = description;
        Source = source;
        SpecFile = specFile;
        Input = input;
        Layers = layers;
        _create = create;
    }

    public string Name { get; }
    public string? Description { get; }
    public string? Source { get; }
    /// <summary>The spec file, relative to the project that compiled it.</summary>
    public string SpecFile { get; }
    public TensorShape Input { get; }
    public IReadOnlyList<LayerInfo> Layers { get; }

    public TensorShape Output => Layers[^1].Output;
    /// <summary>The number of classes: the size of the last row's output.</summary>
    public long Classes => Output.Elements;
    public long TrainableParams => Layers.Sum(l => l.TrainableParams);
    public long NonTrainableParams => Layers.Sum(l => l.NonTrainableParams);
    public long TotalParams => TrainableParams + NonTrainableParams;
    public long MultiplyAdds => Layers.Sum(l => l.MultiplyAdds);

    /// <summary>
    /// True when the last row's activation is softmax. The generated <c>forward</c> then returns
    /// logits (the softmax is left to the loss and to <c>Predict</c>).
    /// </summary>
    public bool EndsInSoftmax => Layers[^1].Activation == "softmax";

    /// <summary>Builds the network with the spec's initializers.</summary>
    public nn.Module<Tensor, Tensor> Create(Device? device = null, ScalarType? dtype = null) => _create(device, dtype);

    public override string ToString() => Name;
}
