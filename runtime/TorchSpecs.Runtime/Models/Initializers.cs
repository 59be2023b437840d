using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>Weight initializers the generated <c>ResetParameters</c> calls where TorchSharp's own do not work.</summary>
public static class Initializers
{
    /// <summary>
    /// Fills <paramref name="tensor"/> with values from a normal distribution of the given mean and
    /// standard deviation truncated to [<paramref name="a"/>, <paramref name="b"/>], as PyTorch's
    /// <c>nn.init.trunc_normal_</c> does (inverse-CDF sampling: uniform between the bounds' CDF
    /// values, then erfinv). TorchSharp 0.107's <c>nn.init.trunc_normal_</c> cannot be used: its
    /// native code multiplies by the mean and adds the standard deviation (and leaves out √2), so
    /// with mean 0 every value comes out equal to the standard deviation.
    /// </summary>
    public static Tensor TruncatedNormal_(Tensor tensor, double mean, double std, double a, double b)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "the standard deviation must be positive");
        if (!(a < b)) throw new ArgumentException($"the lower bound {a} must be below the upper bound {b}", nameof(a));
        double low = NormalCdf((a - mean) / std), high = NormalCdf((b - mean) / std);
        using var _ = no_grad();
        tensor.uniform_(2 * low - 1, 2 * high - 1);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2.0));
        tensor.add_(mean);
        tensor.clamp_(a, b);
        return tensor;
    }

    /// <summary>Φ(x) = (1 + erf(x / √2)) / 2, with libtorch's erf in double precision (.NET has none).</summary>
    private static double NormalCdf(double x)
    {
        using var t = torch.tensor(x / Math.Sqrt(2.0), ScalarType.Float64);
        using var erf = t.erf();
        return (1 + erf.item<double>()) / 2;
    }
}
