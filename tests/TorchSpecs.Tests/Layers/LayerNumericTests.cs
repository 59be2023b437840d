using TorchSharp;
using TorchSpecs.Tests.TestModels;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Layers;

/// <summary>Layers against values computed independently, element by element, in plain C#.</summary>
public class LayerNumericTests
{
    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static Tensor Random(params long[] shape)
    {
        torch.manual_seed(1234);
        return torch.rand(shape) * 3 - 0.5;
    }

    /// <summary>b[c] = a[c] / (k + scale * Σ a[j]², j in [c - below, c + above] ∩ channels)^beta.</summary>
    private static double[] NaiveLrn(float[] a, int channels, int plane, int below, int above, double k, double scale, double beta)
    {
        var b = new double[a.Length];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < plane; p++)
            {
                double sum = 0;
                for (int j = Math.Max(0, c - below); j <= Math.Min(channels - 1, c + above); j++)
                    sum += (double)a[j * plane + p] * a[j * plane + p];
                b[c * plane + p] = a[c * plane + p] / Math.Pow(k + scale * sum, beta);
            }
        return b;
    }

    [Fact]
    public void TensorFlowLrnSumsTwoRadiusPlusOneChannelsAndDoesNotDivideAlpha()
    {
        using var x = Random(1, 9, 2, 3);
        using var lrn = TorchSpecs.Layers.LocalResponseNorm.TensorFlow(depthRadius: 2, bias: 2, alpha: 0.3, beta: 0.75);
        using var y = lrn.call(x);
        var expected = NaiveLrn(Values(x), 9, 6, below: 2, above: 2, k: 2, scale: 0.3, beta: 0.75);
        var actual = Values(y);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public void PyTorchLrnSumsSizeChannelsAndDividesAlphaBySize()
    {
        using var x = Random(1, 9, 2, 3);
        using var lrn = TorchSpecs.Layers.LocalResponseNorm.PyTorch(size: 5, alpha: 0.3, beta: 0.75, k: 2);
        using var y = lrn.call(x);
        var expected = NaiveLrn(Values(x), 9, 6, below: 2, above: 2, k: 2, scale: 0.3 / 5, beta: 0.75);
        var actual = Values(y);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public void TheTwoConventionsDifferForTheSameNumbers()
    {
        using var x = Random(1, 9, 2, 3);
        using var tf = TorchSpecs.Layers.LocalResponseNorm.TensorFlow(depthRadius: 2, bias: 2, alpha: 1e-1, beta: 0.75);
        using var pt = TorchSpecs.Layers.LocalResponseNorm.PyTorch(size: 5, alpha: 1e-1, beta: 0.75, k: 2);
        Assert.False(torch.allclose(tf.call(x), pt.call(x)));
    }

    /// <summary>Cross-correlation of a 1-channel image with explicit (top, bottom, left, right) zero padding.</summary>
    private static float[,] NaiveConv(float[,] image, float[,] kernel, int stride, int top, int bottom, int left, int right)
    {
        int h = image.GetLength(0), w = image.GetLength(1), kh = kernel.GetLength(0), kw = kernel.GetLength(1);
        int oh = (h + top + bottom - kh) / stride + 1, ow = (w + left + right - kw) / stride + 1;
        var result = new float[oh, ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                float sum = 0;
                for (int u = 0; u < kh; u++)
                    for (int v = 0; v < kw; v++)
                    {
                        int r = i * stride + u - top, c = j * stride + v - left;
                        if (r >= 0 && r < h && c >= 0 && c < w) sum += image[r, c] * kernel[u, v];
                    }
                result[i, j] = sum;
            }
        return result;
    }

    private static float[,] ToGrid(Tensor t)
    {
        var shape = t.shape;
        var values = Values(t);
        var grid = new float[shape[^2], shape[^1]];
        for (int i = 0; i < values.Length; i++) grid[i / shape[^1], i % shape[^1]] = values[i];
        return grid;
    }

    [Fact]
    public void KerasSamePaddingPutsTheExtraRowAndColumnAtTheBottomRight()
    {
        using var scope = NewDisposeScope();
        using var model = new KerasSameEven();
        using var x = Random(1, 1, 8, 8);
        var image = ToGrid(x);

        var even2 = NaiveConv(image, ToGrid(model.Even2.weight!), 1, 0, 1, 0, 1);
        AssertGrid(even2, model.Even2Pad.call(x).pipe(model.Even2.call));

        var even4 = NaiveConv(image, ToGrid(model.Even4.weight!), 1, 1, 2, 1, 2);
        AssertGrid(even4, model.Even4Pad.call(x).pipe(model.Even4.call));

        // 3x3 stride 2 on 8: output 4, total padding (4-1)*2 + 3 - 8 = 1, all of it bottom/right.
        var strided = NaiveConv(image, ToGrid(model.Strided.weight!), 2, 0, 1, 0, 1);
        AssertGrid(strided, model.StridedPad.call(x).pipe(model.Strided.call));
    }

    [Fact]
    public void KerasSameMaxPoolingIgnoresItsPadding()
    {
        using var scope = NewDisposeScope();
        using var model = new KerasSameEven();
        // All negative input: a zero-padded max pool would return 0 at the border; Keras ignores the padding.
        using var x = -1 - torch.rand(1, 1, 4, 4);
        using var y = model.Pool.call(model.PoolPad.call(x));
        var grid = ToGrid(x);
        // 2x2 stride 3 on 4: output 2, total padding (2-1)*3 + 2 - 4 = 1 (bottom/right): windows rows {0,1}, {3}.
        var expected = new float[2, 2];
        int[][] windows = { new[] { 0, 1 }, new[] { 3 } };
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                expected[i, j] = windows[i].SelectMany(r => windows[j].Select(c => grid[r, c])).Max();
        AssertGrid(expected, y);
    }

    [Fact]
    public void CeilModePoolingKeepsThePartialLastWindow()
    {
        using var scope = NewDisposeScope();
        using var model = new CeilPool();
        using var x = Random(1, 1, 6, 6);
        var grid = ToGrid(x);
        // 3x3 stride 2 on 6 in ceil mode: windows start at 0, 2, 4; the last one holds rows 4..5.
        var expected = new float[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                float max = float.NegativeInfinity;
                for (int r = 2 * i; r < Math.Min(6, 2 * i + 3); r++)
                    for (int c = 2 * j; c < Math.Min(6, 2 * j + 3); c++)
                        max = Math.Max(max, grid[r, c]);
                expected[i, j] = max;
            }
        using var y = model.Pool.call(x);
        AssertGrid(expected, y);
        Assert.Equal(new long[] { 1, 1, 2, 2 }, model.call(x).shape); // then 2x2 stride 2 on 3 in ceil mode: 2
    }

    private static void AssertGrid(float[,] expected, Tensor actual)
    {
        var grid = ToGrid(actual);
        Assert.Equal(expected.GetLength(0), grid.GetLength(0));
        Assert.Equal(expected.GetLength(1), grid.GetLength(1));
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.Equal(expected[i, j], grid[i, j], 4);
    }
}

internal static class TensorPipe
{
    public static Tensor pipe(this Tensor x, Func<Tensor, Tensor> f) => f(x);
}
