using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Layers;

/// <summary>Bilinear resize of a [N, C, H, W] batch to a fixed size (Keras' Resizing, tf.image.resize).</summary>
public sealed class Resize : nn.Module<Tensor, Tensor>
{
    private readonly long[] _size;

    public Resize(long height, long width) : base(nameof(Resize)) => _size = new[] { height, width };

    public long Height => _size[0];
    public long Width => _size[1];

    public override Tensor forward(Tensor input) =>
        nn.functional.interpolate(input, size: _size, mode: InterpolationMode.Bilinear, align_corners: false);
}
