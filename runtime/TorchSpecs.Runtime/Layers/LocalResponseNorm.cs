using TorchSharp;
using Modules = TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchSpecs.Layers;

/// <summary>
/// Local response normalization across channels in the two conventions the papers' code uses.
/// Both compute b = a / (k + alpha' * Σ a²)^beta over a window of channels; they differ in the
/// window and in alpha':
/// <list type="bullet">
/// <item>PyTorch and Caffe (<c>size</c>): a window of <c>size</c> channels, alpha' = alpha / size.</item>
/// <item>TensorFlow (<c>depth_radius</c>): a window of 2·depth_radius + 1 channels, alpha' = alpha
/// (not divided). The AlexNet paper's formula is this one, with n = 5.</item>
/// </list>
/// Both map onto libtorch's LocalResponseNorm, so either runs at its speed.
/// </summary>
public static class LocalResponseNorm
{
    /// <summary>PyTorch's <c>nn.LocalResponseNorm(size, alpha, beta, k)</c>, unchanged.</summary>
    public static Modules.LocalResponseNorm PyTorch(long size, double alpha = 1e-4, double beta = 0.75, double k = 1.0) =>
        nn.LocalResponseNorm(size, alpha, beta, k);

    /// <summary>
    /// TensorFlow's <c>tf.nn.local_response_normalization(depth_radius, bias, alpha, beta)</c>:
    /// sums 2·depth_radius + 1 channels and does not divide alpha, so it is PyTorch's form with
    /// size = 2r + 1 and alpha multiplied by that size. TensorFlow's defaults are r = 5, bias = 1,
    /// alpha = 1, beta = 0.5.
    /// </summary>
    public static Modules.LocalResponseNorm TensorFlow(long depthRadius = 5, double bias = 1.0, double alpha = 1.0, double beta = 0.5)
    {
        long size = 2 * depthRadius + 1;
        return nn.LocalResponseNorm(size, alpha * size, beta, bias);
    }
}
