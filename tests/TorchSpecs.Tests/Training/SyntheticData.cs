using TorchSharp;
using TorchSpecs.Data;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

/// <summary>A tiny task a small CNN learns in seconds: which quadrant of an 8x8 image is bright.</summary>
internal static class SyntheticData
{
    public static TensorImageDataSet Quadrants(int count, long seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        using var labels = torch.randint(0, 4, new long[] { count }, generator: generator, dtype: ScalarType.Int64);
        using var noise = torch.rand(new long[] { count, 1, 8, 8 }, generator: generator).mul_(90);
        var images = noise.clone();
        long[] l = labels.data<long>().ToArray();
        using (var bright = torch.zeros(count, 1, 8, 8))
        {
            for (int i = 0; i < count; i++)
            {
                long top = l[i] / 2 * 4, left = l[i] % 2 * 4;
                bright[i, 0, (int)top..(int)(top + 4), (int)left..(int)(left + 4)].fill_(150);
            }
            images.add_(bright);
        }
        using (images)
            return new TensorImageDataSet("quadrants", images.to_type(ScalarType.Byte), labels.clone(), new[] { "top-left", "top-right", "bottom-left", "bottom-right" });
    }
}
