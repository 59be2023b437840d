using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

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
/// <param name="Window">The row's effect on the receptive field, from its kind's definition in the generator.</param>
/// <param name="TorchName">The row's module path in a PyTorch state dict (the spec's <c>torch_name</c>, e.g. <c>features.0</c>), or null.</param>
public sealed record LayerInfo(
    string Name, string Property, LayerKind Kind, TensorShape Input, TensorShape Output,
    long TrainableParams, long NonTrainableParams, long MultiplyAdds, string? Activation, string Description,
    LayerAttributes Attributes, LayerWindow Window, string? TorchName = null)
{
    public long TotalParams => checked(TrainableParams + NonTrainableParams);

    /// <summary>Keras' class name for the row, as its summaries print it (from <see cref="LayerKinds"/>).</summary>
    public string KerasType => Kind.KerasType();

    /// <summary>The spec's <c>type</c> name of the row: <c>conv</c>, <c>maxpool</c>, ...</summary>
    public string TypeName => Kind.TypeName();
}

/// <summary>
/// A generated model's static description: its layer table with shapes and parameter counts,
/// and a factory. Everything here is known without building the network.
/// </summary>
public sealed class ModelInfo(string name, string? description, string? source, string specFile, TensorShape input,
    IReadOnlyList<LayerInfo> layers, Func<Device?, ScalarType?, nn.Module<Tensor, Tensor>> create)
{
    public string Name { get; } = name;
    public string? Description { get; } = description;
    public string? Source { get; } = source;
    /// <summary>The spec file, relative to the project that compiled it.</summary>
    public string SpecFile { get; } = specFile;
    public TensorShape Input { get; } = input;
    public IReadOnlyList<LayerInfo> Layers { get; } = layers;

    public TensorShape Output => Layers[^1].Output;
    /// <summary>The number of classes: the size of the last row's output.</summary>
    public long Classes => Output.Elements;
    public long TrainableParams => Total(l => l.TrainableParams, "trainable parameters");
    public long NonTrainableParams => Total(l => l.NonTrainableParams, "non-trainable parameters");
    public long TotalParams => Total(l => l.TotalParams, "parameters");
    public long MultiplyAdds => Total(l => l.MultiplyAdds, "multiply-adds");

    /// <summary>
    /// A checked sum over the rows. The generator refuses models whose totals do not fit
    /// (TS0107); a hand-made or stale table that overflows gets a message naming the model, not
    /// a bare <see cref="OverflowException"/>.
    /// </summary>
    private long Total(Func<LayerInfo, long> value, string what)
    {
        long total = 0;
        foreach (var layer in Layers)
        {
            long v;
            try { v = value(layer); }
            catch (OverflowException)
            {
                throw new InvalidOperationException($"{Name}: the {what} of row {layer.Name} overflow a 64-bit count; its layer table ({SpecFile}) is wrong");
            }
            if (v < 0 || total > long.MaxValue - v)
                throw new InvalidOperationException(
                    $"{Name}: the {what} of its rows {(v < 0 ? $"include a negative count ({layer.Name}: {v.ToString(System.Globalization.CultureInfo.InvariantCulture)})" : $"add up to more than {long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)}")}; its layer table ({SpecFile}) is wrong");
            total += v;
        }
        return total;
    }

    /// <summary>
    /// True when the last row's activation is softmax. The generated <c>forward</c> then returns
    /// logits (the softmax is left to the loss and to <c>Predict</c>).
    /// </summary>
    public bool EndsInSoftmax => Layers[^1].Activation == "softmax";

    /// <summary>Builds the network with the spec's initializers.</summary>
    public nn.Module<Tensor, Tensor> Create(Device? device = null, ScalarType? dtype = null) => create(device, dtype);

    public override string ToString() => Name;
}
