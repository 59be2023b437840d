// One file, two assemblies, as LayerKind.cs: compiled into the runtime (namespace TorchSpecs)
// and linked into the generator (TorchSpecs.Generator.Model; public there too, which is harmless:
// no project compiles against the analyzer). The generator's definition of each kind
// (generator/TorchSpecs.Generator/Kinds/) works out a row's window and emits it into the row's
// LayerInfo; the runtime's receptive-field arithmetic (ModelStatistics) reads it.

#if TORCHSPECS_GENERATOR
namespace TorchSpecs.Generator.Model;
#else
namespace TorchSpecs;
#endif

/// <summary>
/// A row's sliding window along each axis for receptive-field arithmetic: the effective kernel
/// (dilation included) and the stride, in the row's input pixels. Rows that act on each position
/// alone (activations, normalization, dropout, flatten, padding) are <see cref="Pointwise"/>;
/// padding shifts windows but does not widen them. A row every output of which depends on the
/// whole input (dense) <see cref="SeesEverything"/>.
/// </summary>
public readonly record struct LayerWindow(AxisWindow Height, AxisWindow Width, bool SeesEverything = false)
{
    /// <summary>A 1x1 window of stride 1: the receptive field and the jump go through unchanged.</summary>
    public static LayerWindow Pointwise => new(AxisWindow.Identity, AxisWindow.Identity);

    /// <summary>Every output sees the whole input.</summary>
    public static LayerWindow Everything => new(AxisWindow.Identity, AxisWindow.Identity, SeesEverything: true);
}

/// <summary>A window along one axis: <paramref name="Kernel"/> input pixels moved by <paramref name="Stride"/> (fractional where the row rescales the grid).</summary>
public readonly record struct AxisWindow(double Kernel, double Stride)
{
    public static AxisWindow Identity => new(1, 1);
}
