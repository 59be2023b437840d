using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>One tensor of a state-dict file as stored: its key, element type, shape and raw little-endian bytes.</summary>
public sealed record StoredTensor(string Key, ScalarType Type, long[] Shape, byte[] Data)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>"[64, 3, 11, 11]".</summary>
    public string ShapeText => StateDictFile.FormatShape(Shape);

    /// <summary>A new CPU tensor holding the stored values.</summary>
    public Tensor ToTensor()
    {
        var tensor = empty(Shape, Type);
        if (Data.Length > 0) tensor.bytes = Data;
        return tensor;
    }
}

/// <summary>
/// TorchSharp's state-dict exchange format, the one TorchSharp's <c>exportsd.py</c> writes from
/// PyTorch and <c>Module.save</c>/<c>Module.load</c> use: a LEB128 count of entries, then per entry
/// the LEB128 length of the UTF-8 key, the key, the LEB128 ScalarType code, the LEB128 number of
/// dimensions, each dimension as LEB128, and the values as raw little-endian bytes.
/// </summary>
public static class StateDictFile
{
    public static IReadOnlyList<StoredTensor> Read(string path)
    {
        using var stream = File.OpenRead(path);
        try { return Read(stream); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public static IReadOnlyList<StoredTensor> Read(Stream stream)
    {
        var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        long count = Leb128(reader, "the number of entries");
        var result = new List<StoredTensor>();
        for (long i = 0; i < count; i++)
        {
            string where = $"entry {i + 1} of {count}";
            long keyLength = Leb128(reader, $"the key length of {where}");
            string key = Encoding.UTF8.GetString(Bytes(reader, keyLength, $"the key of {where}"));
            where = $"'{key}' ({where})";
            long code = Leb128(reader, $"the element type of {where}");
            if (!Enum.IsDefined(typeof(ScalarType), (sbyte)code) || ElementSize((ScalarType)code) is not int size)
                throw new InvalidDataException($"{where} has element type code {code}, which is not a type this format stores (0-7, 11, 15)");
            long rank = Leb128(reader, $"the number of dimensions of {where}");
            if (rank > 16) throw new InvalidDataException($"{where} claims {rank} dimensions; the file is not in TorchSharp's format");
            var shape = new long[rank];
            for (int d = 0; d < rank; d++) shape[d] = Leb128(reader, $"dimension {d} of {where}");
            long elements = shape.Aggregate(1L, (a, b) => a * b);
            result.Add(new StoredTensor(key, (ScalarType)code, shape, Bytes(reader, elements * size, $"the values of {where}")));
        }
        return result;
    }

    /// <summary>Writes tensors in the exchange format, in the order given.</summary>
    public static void Write(string path, IEnumerable<(string Key, Tensor Value)> tensors)
    {
        using var stream = File.Create(path);
        Write(stream, tensors);
    }

    public static void Write(Stream stream, IEnumerable<(string Key, Tensor Value)> tensors)
    {
        var list = tensors.ToList();
        var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        WriteLeb128(writer, list.Count);
        foreach (var (key, value) in list)
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            WriteLeb128(writer, keyBytes.Length);
            writer.Write(keyBytes);
            WriteLeb128(writer, (long)value.dtype);
            WriteLeb128(writer, value.shape.Length);
            foreach (long dim in value.shape) WriteLeb128(writer, dim);
            using var cpu = value.detach().cpu().contiguous();
            writer.Write(cpu.bytes);
        }
        writer.Flush();
    }

    internal static int? ElementSize(ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => null,
    };

    internal static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static long Leb128(BinaryReader reader, string what)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            int b = reader.BaseStream.ReadByte();
            if (b < 0) throw new InvalidDataException($"the file ends inside {what}");
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (value < 0) break;
                return value;
            }
        }
        throw new InvalidDataException($"{what} is not a valid LEB128 number");
    }

    private static byte[] Bytes(BinaryReader reader, long count, string what)
    {
        if (count > int.MaxValue) throw new InvalidDataException($"{what} is larger than 2 GB, which this reader does not support");
        var bytes = reader.ReadBytes((int)count);
        if (bytes.Length != count) throw new InvalidDataException($"the file ends inside {what} ({bytes.Length:N0} of {count:N0} bytes)");
        return bytes;
    }

    private static void WriteLeb128(BinaryWriter writer, long value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "LEB128 here stores non-negative numbers");
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            writer.Write(value != 0 ? (byte)(b | 0x80) : b);
        } while (value != 0);
    }
}
