using System.Collections.Immutable;
using TorchSpecs.Tests.Infrastructure;
using TorchSpecs.Generator;
using TorchSpecs.Generator.Kinds;
using TorchSpecs.Generator.Parsing;
using GenAxis = TorchSpecs.Generator.Model.AxisWindow;
using GenWindow = TorchSpecs.Generator.Model.LayerWindow;

namespace TorchSpecs.Tests.Kinds;

/// <summary>
/// Each kind's receptive-field rule lives in its definition in the generator (issue 12 §1): the
/// window a row's LayerInfo carries, worked out on the inferred table. The runtime's arithmetic on
/// those windows is <see cref="Inspection.ModelStatisticsTests"/>.
/// </summary>
public class ReceptiveFieldTests
{
    private static Dictionary<string, GenWindow> Windows(string yaml)
    {
        var file = SpecFamily.Read("specs/windows.yaml", yaml);
        var result = TorchSpecsGenerator.Infer(SpecFamily.Resolve(file, ImmutableArray.Create(file)));
        Assert.Empty(result.Diagnostics);
        return result.Plan!.Layers.ToDictionary(l => l.Spec.Name, l => LayerDefinitions.Get(l.Spec.Kind).ReceptiveField(l));
    }

    private static GenWindow Square(double kernel, double stride) => new(new GenAxis(kernel, stride), new GenAxis(kernel, stride));

    [Fact]
    public void SlidingWindowsWidenByTheirDilationAndDenseRowsSeeEverything()
    {
        var windows = Windows("""
            model: Dilated
            input: 32x16x3
            layers:
              - { name: conv, type: conv, kernel: [3, 5], filters: 8, stride: [1, 2], dilation: 2, output: 28x4x8 }
              - { name: pool, type: maxpool, kernel: 2, output: 14x2x8 }
              - { name: drop, type: dropout, rate: 0.5, output: 14x2x8 }
              - { name: flatten, type: flatten, output: 224 }
              - { name: fc, type: dense, units: 10, output: 10 }
            """);
        // d·(k − 1) + 1 per axis: 2·2 + 1 = 5 high, 2·4 + 1 = 9 wide.
        Assert.Equal(new GenWindow(new GenAxis(5, 1), new GenAxis(9, 2)), windows["conv"]);
        Assert.Equal(Square(2, 2), windows["pool"]);
        Assert.Equal(GenWindow.Pointwise, windows["drop"]);
        Assert.Equal(GenWindow.Pointwise, windows["flatten"]);
        Assert.Equal(GenWindow.Everything, windows["fc"]);
    }

    [Fact]
    public void AResizeAndAnAdaptivePoolScaleByTheirSizes()
    {
        var windows = Windows("""
            model: Scaled
            input: 8x8x3
            layers:
              - { name: same, type: resize, size: 8x8, output: 8x8x3 }
              - { name: up, type: resize, size: 32x32, output: 32x32x3 }
              - { name: divides, type: adaptive_avgpool, size: 2x2, output: 2x2x3 }
              - { name: pad, type: zeropad, padding: [0, 5, 0, 5], output: 7x7x3 }
              - { name: overlaps, type: adaptive_avgpool, size: 3x3, output: 3x3x3 }
              - { name: gap, type: global_avgpool, output: 3 }
            """);
        Assert.Equal(GenWindow.Pointwise, windows["same"]);
        // Bilinear: two input pixels per output pixel, one every quarter pixel.
        Assert.Equal(Square(2, 0.25), windows["up"]);
        Assert.Equal(Square(16, 16), windows["divides"]);
        Assert.Equal(GenWindow.Pointwise, windows["pad"]);
        // 7 to 3 does not divide: the largest window, ceil(7/3) + 1 = 4, at the mean stride 7/3.
        Assert.Equal(Square(4, 7.0 / 3), windows["overlaps"]);
        Assert.Equal(Square(3, 3), windows["gap"]);
    }

    [Fact]
    public void TheEmittedTableCarriesEachRowsWindow()
    {
        var source = GeneratorHarness.Run(("specs/tiny.yaml", """
            model: Tiny
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }
              - { name: up, type: resize, size: 24x24, output: 24x24x4 }
              - { name: flatten, type: flatten, output: 2304 }
              - { name: fc, type: dense, units: 10, output: 10 }
            """)).GeneratedSource("Tiny.g.cs");
        Assert.Contains("Window: new global::TorchSpecs.LayerWindow(new(3, 1), new(3, 1))", source);
        Assert.Contains("Window: new global::TorchSpecs.LayerWindow(new(2, 0.3333333333333333), new(2, 0.3333333333333333))", source);
        Assert.Contains("Window: global::TorchSpecs.LayerWindow.Pointwise", source);
        Assert.Contains("Window: global::TorchSpecs.LayerWindow.Everything", source);
    }
}
