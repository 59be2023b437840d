using TorchSpecs.Generator.Emit;

namespace TorchSpecs.Generator.Kinds;

/// <summary>Names and small literals the kinds' emission shares.</summary>
internal static class Cs
{
    private const string TorchSharp = "global::TorchSharp";
    public const string Torch = TorchSharp + ".torch";
    public const string Nn = Torch + ".nn";
    public const string Tensor = Torch + ".Tensor";
    public const string Modules = TorchSharp + ".Modules";
    public const string Runtime = "global::TorchSpecs";
    public const string OnDevice = "device: device, dtype: dtype";

    public static string Pair2(int h, int w) => $"({h}, {w})";
    public static string Pair2(Pair p) => Pair2(p.H, p.W);
    public static string Bool(bool b) => b ? "true" : "false";
    public static string Num(double value) => CodeWriter.Num(value);
    public static string Size(Pair p) => $"new {Runtime}.Size2D({p.H}, {p.W})";
    public static string Padding(LayerPlan layer) => $"new {Runtime}.Padding2D({layer.PadTop}, {layer.PadBottom}, {layer.PadLeft}, {layer.PadRight})";
    /// <summary>The padding that goes into a sliding-window layer: its symmetric padding, or none when a padding module applies it.</summary>
    public static string LayerPadding(LayerPlan layer) => layer.NativePadding ? Pair2(layer.PadTop, layer.PadLeft) : "(0, 0)";
    public static string Window(Pair p) => $"{p.H}x{p.W}";

    /// <summary>The <c>LayerInfo.Window</c> literal.</summary>
    public static string WindowLiteral(LayerWindow w) =>
        w == LayerWindow.Pointwise ? $"{Runtime}.LayerWindow.Pointwise"
        : w.SeesEverything ? $"{Runtime}.LayerWindow.Everything"
        : $"new {Runtime}.LayerWindow(new({Extent(w.Height.Kernel)}, {Extent(w.Height.Stride)}), new({Extent(w.Width.Kernel)}, {Extent(w.Width.Stride)}))";

    /// <summary>A window's kernel or stride: a whole number as an integer literal, a fraction exactly (round-trip).</summary>
    private static string Extent(double value) =>
        value == Math.Floor(value) && Math.Abs(value) <= int.MaxValue ? ((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture) : Num(value);
}
