using TorchSharp;

namespace TorchSpecs.Tests;

/// <summary>The GLIBCXX fix: the build output's libLibTorchSharp.so loads and computes.</summary>
public class NativeLibraryTests
{
    [Fact]
    public void TorchSharpNativeLibraryLoadsAndComputes()
    {
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = a.sum();
        Assert.Equal(15f, b.item<float>());
    }
}
