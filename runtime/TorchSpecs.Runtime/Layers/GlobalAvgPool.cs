using static TorchSharp.torch;

namespace TorchSpecs.Layers;

/// <summary>
/// Global average pooling: the mean of each channel over height and width, [N, C, H, W] to
/// [N, C] (Keras' GlobalAveragePooling2D; PyTorch's <c>AdaptiveAvgPool2d(1)</c> then <c>flatten(1)</c>).
/// </summary>
public sealed class GlobalAvgPool : nn.Module<Tensor, Tensor>
{
    public GlobalAvgPool() : base(nameof(GlobalAvgPool)) { }

    public override Tensor forward(Tensor input) => input.mean(new long[] { 2, 3 });
}
