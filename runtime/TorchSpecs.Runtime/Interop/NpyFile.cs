using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Interop;

/// <summary>A .npy file this reader does not take; the message names the file and what was expected.</summary>
public sealed class NpyFormatException(string message) : Exception(message);

/// <summary>
/// NumPy's <c>.npy</c> format for the one case the interop verbs need: little-endian float32
/// (<c>'&lt;f4'</c>) in C order, any shape. Anything else (another dtype, Fortran order, object
/// arrays, a truncated file) is refused with a message that says what the file holds. The format:
/// the magic <c>\x93NUMPY</c>, a version byte pair, a little-endian header length (2 bytes for 1.0,
/// 4 for 2.0 and 3.0), a Python-literal dict header padded with spaces to a multiple of 64, the data.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    /// <summary>The array as a float32 CPU tensor of the file's shape.</summary>
    public static Tensor Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new NpyFormatException($"{path}: file not found"); }
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new NpyFormatException($"{path}: not a .npy file (it does not start with \\x93NUMPY); save the array with numpy.save");
        int major = bytes[6];
        int headerLength, start;
        if (major == 1) { headerLength = BitConverter.ToUInt16(bytes, 8); start = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12) { headerLength = checked((int)BitConverter.ToUInt32(bytes, 8)); start = 12; }
        else throw new NpyFormatException($"{path}: .npy version {major}.{bytes[7]}, expected 1.0, 2.0 or 3.0");
        if (start + headerLength > bytes.Length) throw new NpyFormatException($"{path}: the file ends inside its header");
        string header = Encoding.Latin1.GetString(bytes, start, headerLength).Trim();

        string descr = Field(header, "descr", path);
        if (descr != "'<f4'")
            throw new NpyFormatException($"{path}: dtype {descr.Trim('\'')}, expected float32 ('<f4'); convert with x.astype(numpy.float32)");
        if (Field(header, "fortran_order", path) != "False")
            throw new NpyFormatException($"{path}: Fortran-ordered array, expected C order; save numpy.ascontiguousarray(x)");
        string shapeText = Field(header, "shape", path);
        var shapeMatch = ShapePattern().Match(shapeText);
        if (!shapeMatch.Success) throw new NpyFormatException($"{path}: cannot read the shape {shapeText}");
        long[] shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        long elements = shape.Aggregate(1L, (a, b) => a * b);
        int data = start + headerLength;
        if (bytes.LongLength - data != elements * 4)
            throw new NpyFormatException($"{path}: shape ({string.Join(", ", shape)}) needs {elements * 4:N0} bytes of data, the file has {bytes.LongLength - data:N0}");
        var tensor = empty(shape, ScalarType.Float32);
        if (elements > 0) tensor.bytes = bytes.AsSpan(data).ToArray();
        return tensor;
    }

    /// <summary>Writes a tensor as a float32 C-order .npy file (version 1.0); other dtypes are converted to float32.</summary>
    public static void Write(string path, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        string shape = cpu.shape.Length == 1 ? $"({cpu.shape[0]},)" : "(" + string.Join(", ", cpu.shape) + ")";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        int total = Magic.Length + 4 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        using var stream = File.Create(path);
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(cpu.bytes);
    }

    private static string Field(string header, string name, string path)
    {
        var match = Regex.Match(header, $@"['""]{name}['""]\s*:\s*(\([^)]*\)|'[^']*'|""[^""]*""|\w+)");
        if (!match.Success) throw new NpyFormatException($"{path}: the header has no '{name}' ({header})");
        return match.Groups[1].Value.Replace('"', '\'');
    }

    [GeneratedRegex(@"^\(([\d,\s]*)\)$")]
    private static partial Regex ShapePattern();
}
