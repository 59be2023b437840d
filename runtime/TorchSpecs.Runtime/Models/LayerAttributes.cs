using System.Globalization;

namespace TorchSpecs;

/// <summary>A height and a width: a kernel, a stride, a dilation or a target size.</summary>
public readonly record struct Size2D(int Height, int Width)
{
    public bool IsSquare => Height == Width;

    /// <summary><c>3</c> for a square, <c>3x1</c> otherwise.</summary>
    public override string ToString() => IsSquare
        ? Height.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Height}x{Width}");
}

/// <summary>Padding as the layer applies it, one value per side (Keras' <c>same</c> already resolved).</summary>
public readonly record struct Padding2D(int Top, int Bottom, int Left, int Right)
{
    public static Padding2D None => default;

    public bool IsZero => Top == 0 && Bottom == 0 && Left == 0 && Right == 0;

    /// <summary>True when top equals bottom and left equals right: PyTorch's <c>padding=(h, w)</c> can express it.</summary>
    public bool IsSymmetric => Top == Bottom && Left == Right;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"(top {Top}, bottom {Bottom}, left {Left}, right {Right})");
}

/// <summary>
/// A row's hyperparameters as the generated module applies them: the spec's keys with their
/// defaults filled in and Keras' <c>same</c> resolved to sides. One record per layer kind.
/// Everything outside the generator that rebuilds a model (the PyTorch and ONNX exporters,
/// checkpoint fingerprints, <c>summary --json</c>) reads these, never the YAML.
/// </summary>
public abstract record LayerAttributes
{
    /// <summary>
    /// The row's keys under the spec's names, as applied: numbers, booleans, and
    /// <see cref="Size2D"/> or <see cref="Padding2D"/> values. <c>summary --json</c> and checkpoint
    /// fingerprints read them.
    /// </summary>
    public virtual IEnumerable<KeyValuePair<string, object>> Keys() => [];

    private protected static KeyValuePair<string, object> Key(string name, object value) => new(name, value);
}

/// <summary><c>conv</c>: a 2-D convolution (<c>nn.Conv2d</c>, ONNX <c>Conv</c>).</summary>
public sealed record ConvAttributes(int Filters, Size2D Kernel, Size2D Stride, Padding2D Padding, Size2D Dilation, int Groups, bool Bias)
    : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() =>
        [Key("filters", Filters), Key("kernel", Kernel), Key("stride", Stride), Key("padding", Padding), Key("dilation", Dilation), Key("groups", Groups), Key("bias", Bias)];
}

/// <summary>
/// <c>maxpool</c> and <c>avgpool</c>. Max pooling pads with minus infinity. Average pooling
/// counts the padded zeros in the mean when <paramref name="CountIncludePad"/> (PyTorch's
/// default) and leaves them out otherwise (Keras' <c>same</c>).
/// </summary>
public sealed record PoolAttributes(Size2D Kernel, Size2D Stride, Padding2D Padding, Size2D Dilation, bool Ceil, bool CountIncludePad)
    : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() =>
        [Key("kernel", Kernel), Key("stride", Stride), Key("padding", Padding), Key("dilation", Dilation), Key("ceil", Ceil), Key("count_include_pad", CountIncludePad)];
}

/// <summary>
/// <c>adaptive_avgpool</c>: average pooling to a fixed output size. Output i averages input rows
/// floor(i·in/out) to ceil((i+1)·in/out).
/// </summary>
public sealed record AdaptiveAvgPoolAttributes(Size2D Size) : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() => [Key("size", Size)];
}

/// <summary>
/// <c>resize</c>: bilinear resize to a fixed size, <c>align_corners=False</c>, no antialiasing.
/// Each output pixel interpolates 2 neighbouring input pixels per axis.
/// </summary>
public sealed record ResizeAttributes(Size2D Size) : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() => [Key("size", Size)];
}

/// <summary>
/// <c>lrn</c>: local response normalization across channels, in PyTorch's and ONNX's convention:
/// b = a / (k + alpha / size · Σ a²)^beta over <paramref name="Size"/> channels. A row written in
/// TensorFlow's form keeps its <paramref name="DepthRadius"/>; its values here are already
/// converted (size = 2·depth_radius + 1, alpha = alpha_tf · size, k = bias).
/// </summary>
public sealed record LrnAttributes(int Size, double Alpha, double Beta, double K, int? DepthRadius = null) : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() =>
        DepthRadius is int radius
            ? [Key("size", Size), Key("alpha", Alpha), Key("beta", Beta), Key("k", K), Key("depth_radius", radius)]
            : [Key("size", Size), Key("alpha", Alpha), Key("beta", Beta), Key("k", K)];
}

/// <summary><c>batchnorm</c>: momentum in PyTorch's form (running = (1 − m)·running + m·batch).</summary>
public sealed record BatchNormAttributes(double Eps, double Momentum) : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() => [Key("eps", Eps), Key("momentum", Momentum)];
}

/// <summary><c>dropout</c>: the drop probability during training; the identity in evaluation.</summary>
public sealed record DropoutAttributes(double Rate) : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() => [Key("rate", Rate)];
}

/// <summary><c>dense</c>: a fully connected layer (<c>nn.Linear</c>, ONNX <c>Gemm</c>).</summary>
public sealed record DenseAttributes(int Units, bool Bias) : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() => [Key("units", Units), Key("bias", Bias)];
}

/// <summary><c>zeropad</c>: zero padding of the feature map.</summary>
public sealed record ZeroPadAttributes(Padding2D Padding) : LayerAttributes
{
    public override IEnumerable<KeyValuePair<string, object>> Keys() => [Key("padding", Padding)];
}

/// <summary><c>flatten</c>: [N, C, H, W] to [N, C·H·W] in that order.</summary>
public sealed record FlattenAttributes : LayerAttributes;

/// <summary><c>activation</c>: a row that only applies <see cref="LayerInfo.Activation"/>.</summary>
public sealed record ActivationAttributes : LayerAttributes;

/// <summary><c>global_avgpool</c>: the mean of each channel over the whole feature map, giving a flat vector of the channels.</summary>
public sealed record GlobalAvgPoolAttributes : LayerAttributes;
