using TorchSharp;
using TorchSpecs.Data;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Data;

public class BatchTransformTests
{
    private static TensorImageDataSet Gray(int n, int h, int w, Func<int, int, int, byte> pixel)
    {
        var bytes = new byte[n * h * w];
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) bytes[(i * h + y) * w + x] = pixel(i, y, x);
        return new TensorImageDataSet("gray", torch.tensor(bytes, new long[] { n, 1, h, w }, ScalarType.Byte),
            torch.zeros(n, dtype: ScalarType.Int64), new[] { "a", "b" });
    }

    private static readonly Normalization Identity3 = new(new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f });

    [Fact]
    public void Grayscale_is_replicated_into_three_channels_and_padded()
    {
        using var set = Gray(2, 4, 4, (i, y, x) => (byte)(i * 100 + y * 4 + x));
        var transform = new BatchTransform(new TensorShape(8, 8, 3), FitMode.Pad, Identity3);
        using var batch = transform.Apply(set, torch.tensor(new long[] { 1 }));
        Assert.Equal(new long[] { 1, 3, 8, 8 }, batch.shape);
        Assert.Equal(0f, batch[0, 1, 0, 0].item<float>());
        Assert.Equal(0f, batch[0, 2, 7, 7].item<float>());
        // pixel (y=1, x=3) of the 4x4 image sits at (3, 5) of the 8x8 input, in every channel
        for (int c = 0; c < 3; c++) Assert.Equal((100 + 1 * 4 + 3) / 255f, batch[0, c, 3, 5].item<float>(), 6);
    }

    [Fact]
    public void Resize_is_bilinear_on_the_batch_and_normalization_applies()
    {
        using var set = Gray(3, 4, 4, (_, _, _) => 51);
        var transform = new BatchTransform(new TensorShape(8, 6, 1), FitMode.Resize, new Normalization(new[] { 0.1f }, new[] { 0.5f }));
        using var batch = transform.Apply(set, torch.tensor(new long[] { 0, 2 }));
        Assert.Equal(new long[] { 2, 1, 8, 6 }, batch.shape);
        Assert.True(batch.allclose(torch.full(2, 1, 8, 6, (0.2f - 0.1f) / 0.5f), atol: 1e-5));
    }

    [Fact]
    public void Measure_gives_the_mean_and_standard_deviation()
    {
        using var set = Gray(2, 2, 2, (i, _, _) => i == 0 ? (byte)0 : (byte)255);
        var n = BatchTransform.Measure(set, new TensorShape(2, 2, 1), FitMode.Resize);
        Assert.Equal(0.5f, n.Mean[0], 5);
        Assert.Equal(0.5f, n.Std[0], 5);
    }

    [Fact]
    public void Flip_gives_each_image_as_it_is_or_mirrored_and_both_happen()
    {
        using var set = Gray(64, 3, 5, (_, y, x) => (byte)(x * 50 + y));
        torch.manual_seed(7);
        using var x0 = set.Images(torch.arange(64));
        using var flipped = BatchTransform.Augment(x0, new Augmentation(HorizontalFlip: true));
        int same = 0, mirrored = 0;
        for (int i = 0; i < 64; i++)
        {
            if (flipped[i].allclose(x0[i])) same++;
            else if (flipped[i].allclose(x0[i].flip(2))) mirrored++;
        }
        Assert.Equal(64, same + mirrored);
        Assert.InRange(same, 16, 48);
    }

    [Fact]
    public void Padded_crop_shifts_each_image_by_at_most_the_padding()
    {
        const int p = 2;
        using var set = Gray(32, 6, 6, (_, y, x) => (byte)(1 + y * 6 + x));
        torch.manual_seed(3);
        using var x0 = set.Images(torch.arange(32));
        using var cropped = BatchTransform.Augment(x0, new Augmentation(CropPadding: p));
        Assert.Equal(x0.shape, cropped.shape);
        using var padded = nn.functional.pad(x0, new long[] { p, p, p, p });
        var offsets = new HashSet<(int, int)>();
        for (int i = 0; i < 32; i++)
        {
            (int, int)? found = null;
            for (int dy = 0; dy <= 2 * p && found is null; dy++)
                for (int dx = 0; dx <= 2 * p && found is null; dx++)
                    if (cropped[i].allclose(padded[i, .., dy..(dy + 6), dx..(dx + 6)])) found = (dy, dx);
            Assert.NotNull(found);
            offsets.Add(found!.Value);
        }
        Assert.True(offsets.Count > 5, $"only {offsets.Count} distinct offsets in 32 images");
    }

    [Fact]
    public void Random_erasing_blanks_one_rectangle_of_2_to_40_percent_in_the_chosen_images()
    {
        using var generator = new torch.Generator(5);
        using var x0 = torch.ones(200, 2, 20, 20);
        using var erased = BatchTransform.Erase(x0, 0.5, generator);
        int blanked = 0;
        for (int i = 0; i < 200; i++)
        {
            using var zero = erased[i, 0].eq(0);
            long area = zero.sum().item<long>();
            if (area == 0) continue;
            blanked++;
            Assert.True(erased[i, 1].eq(0).eq(zero).all().item<bool>(), "every channel of the rectangle");
            // A rectangle: its bounding box holds only zeros.
            using var rows = zero.any(1).nonzero();
            using var cols = zero.any(0).nonzero();
            long h = rows.shape[0], w = cols.shape[0];
            Assert.Equal(h * w, area);
            Assert.InRange(area, 1, (long)(0.4 * 400 * 1.3) + 20);
        }
        Assert.InRange(blanked, 70, 130);
        using var none = BatchTransform.Erase(x0, 0, generator);
        Assert.True(none.allclose(x0));
    }

    /// <summary>A set that only gives float images, so the transform takes its float path.</summary>
    private sealed class FloatOnly(ImageDataSet source) : ImageDataSet
    {
        public override string Name => source.Name;
        public override int Channels => source.Channels;
        public override (long Height, long Width)? ImageSize => source.ImageSize;
        public override IReadOnlyList<string> Classes => source.Classes;
        public override Tensor Labels => source.Labels;
        public override Tensor Images(Tensor indices, long height, long width) => source.Images(indices, height, width);
    }

    private static void AssertSameBatch(ImageDataSet set, TensorShape input, FitMode fit, Normalization normalization, Augmentation augmentation)
    {
        using var indices = torch.randperm(set.Count, generator: new torch.Generator(2));
        var transform = new BatchTransform(input, fit, normalization);
        using var viaBytes = transform.Apply(set, indices, augmentation, new torch.Generator(9));
        using var floatOnly = new FloatOnly(set);
        Assert.Null(floatOnly.ImageBytes(indices, input.Height, input.Width));
        using var viaFloats = transform.Apply(floatOnly, indices, augmentation, new torch.Generator(9));
        Assert.Equal(viaFloats.shape, viaBytes.shape);
        using var differ = viaFloats.ne(viaBytes).sum();
        Assert.Equal(0, differ.item<long>());
    }

    private static readonly Normalization Rgb = new(new[] { 0.4914f, 0.4822f, 0.4465f }, new[] { 0.247f, 0.243f, 0.261f });
    private static readonly Augmentation Everything = new(HorizontalFlip: true, CropPadding: 3, Erasing: 0.5);

    [Fact]
    public void Bytes_and_floats_give_the_same_batch_for_grayscale_padded_into_three_channels()
    {
        using var set = Gray(40, 28, 28, (i, y, x) => (byte)((i * 37 + y * 11 + x * 5) % 256));
        Assert.NotNull(set.ImageBytes(torch.arange(2), 28, 28));
        AssertSameBatch(set, new TensorShape(32, 32, 3), FitMode.Pad, Rgb, Everything);
        AssertSameBatch(set, new TensorShape(28, 28, 1), FitMode.Resize, new Normalization(new[] { 0.2860f }, new[] { 0.3530f }), new Augmentation(HorizontalFlip: true));
    }

    [Fact]
    public void Bytes_and_floats_give_the_same_batch_for_an_image_folder_resized_by_the_decoder()
    {
        using var dir = new TempDirectory();
        int n = 0;
        foreach (var (name, w, h) in new[] { ("a", 37, 29), ("a", 64, 48), ("b", 29, 37), ("b", 50, 50) })
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, name));
            File.WriteAllBytes(Path.Combine(dir.Path, name, $"{n++}.jpg"), TestImages.Jpeg(w, h));
        }
        using var set = new ImageFolder(dir.Path);
        // 27x31: planes of 837 pixels, not a multiple of the 16 the conversion takes at a time.
        AssertSameBatch(set, new TensorShape(27, 31, 3), FitMode.Resize, Rgb, Everything);
        AssertSameBatch(set, new TensorShape(27, 31, 3), FitMode.Resize, Rgb, Augmentation.None);
    }

    [Fact]
    public void A_set_resized_in_float_gives_no_bytes_at_another_size()
    {
        using var set = Gray(3, 4, 4, (_, _, _) => 51);
        using var indices = torch.arange(3);
        Assert.Null(set.ImageBytes(indices, 8, 8));
        using var bytes = set.ImageBytes(indices, 4, 4);
        Assert.Equal(ScalarType.Byte, bytes!.dtype);
    }
}
