using System.Collections;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Razorvine.Pickle;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>The on-disk formats a state dict is read from and written to.</summary>
public enum WeightsFormat
{
    /// <summary>TorchSharp's exchange format (<c>Module.save</c>, exportsd.py): see <see cref="StateDictFile"/>.</summary>
    TorchSharp,
    /// <summary>PyTorch's <c>torch.save(model.state_dict(), path)</c>: a zip holding a pickle (<c>.pt</c>, <c>.pth</c>).</summary>
    PyTorch,
    /// <summary>Hugging Face's safetensors: a JSON header and raw little-endian tensors.</summary>
    Safetensors,
}

/// <summary>A weights file that cannot be read as a state dict: wrong format, corrupt, or a pickle that is not a state dict. The message names the file.</summary>
public sealed class WeightsFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The tensors of a weights file, in file order (PyTorch pickles keep no order: sorted by key), and what else it says.</summary>
public sealed class WeightsContent(WeightsFormat format, IReadOnlyList<(string Key, Tensor Value)> tensors, IReadOnlyList<string>? classes,
    IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null, string? dataSet = null) : IDisposable
{
    public WeightsFormat Format { get; } = format;
    public IReadOnlyList<(string Key, Tensor Value)> Tensors { get; } = tensors;
    /// <summary>Class names a checkpoint dict stores beside its state dict (<c>"classes"</c>), or null.</summary>
    public IReadOnlyList<string>? Classes { get; } = classes;
    /// <summary>Per-channel input normalization a checkpoint dict stores (<c>"mean"</c>, <c>"std"</c>), or null.</summary>
    public IReadOnlyList<float>? Mean { get; } = mean;
    public IReadOnlyList<float>? Std { get; } = std;
    /// <summary>The data set a checkpoint dict says it was trained on (<c>"dataset"</c>), or null.</summary>
    public string? DataSet { get; } = dataSet;

    public void Dispose()
    {
        foreach (var (_, value) in Tensors) value.Dispose();
    }
}

/// <summary>
/// Reads and writes state dicts in the three formats, chosen by content when reading (a zip is
/// PyTorch's, a length-prefixed JSON header is safetensors, anything else TorchSharp's) and by
/// extension when writing (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>: PyTorch; <c>.safetensors</c>; anything
/// else TorchSharp's). PyTorch and safetensors go through TorchSharp.PyBridge. Pickles are read by
/// Razorvine.Pickle, which never runs code: a pickle that calls anything but torch's tensor
/// rebuilders and <c>OrderedDict</c> (a <c>__reduce__</c> to <c>os.system</c>, a whole pickled model) is refused.
/// Files are written to a temporary file, flushed to disk and renamed over the target, so a
/// reader sees the old file or the new one, never a part.
/// </summary>
public static class WeightsFile
{
    /// <summary>The keys under which a checkpoint dict holds its state dict, tried in this order.</summary>
    public static readonly IReadOnlyList<string> StateDictKeys = new[] { "state_dict", "model_state_dict", "model" };

    /// <summary>The format of an existing file, from its first bytes.</summary>
    public static WeightsFormat Detect(string path)
    {
        using var stream = OpenRead(path);
        return Detect(stream, path);
    }

    /// <summary>The format a file of this name is written in: by its extension.</summary>
    public static WeightsFormat FormatFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pt" or ".pth" or ".bin" => WeightsFormat.PyTorch,
        ".safetensors" => WeightsFormat.Safetensors,
        _ => WeightsFormat.TorchSharp,
    };

    /// <summary>Reads every tensor of a state-dict file, in any of the three formats.</summary>
    /// <exception cref="WeightsFormatException">The file is not a state dict in a known format.</exception>
    public static WeightsContent Read(string path)
    {
        WeightsFormat format;
        using (var probe = OpenRead(path)) format = Detect(probe, path);
        return format switch
        {
            WeightsFormat.PyTorch => ReadPickle(path),
            WeightsFormat.Safetensors => ReadSafetensors(path),
            _ => ReadTorchSharp(path),
        };
    }

    /// <summary>Writes tensors in <paramref name="format"/> (default: by the file's extension), atomically.</summary>
    public static void Write(string path, IEnumerable<(string Key, Tensor Value)> tensors, WeightsFormat? format = null)
    {
        var list = tensors.ToList();
        var duplicate = list.GroupBy(t => t.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"{path}: the key '{duplicate.Key}' would be written twice", nameof(tensors));
        switch (format ?? FormatFor(path))
        {
            case WeightsFormat.PyTorch:
                WriteOnCpu(path, list, (stream, dict) => PyTorchPickler.PickleStateDict(stream, dict, leaveOpen: true));
                break;
            case WeightsFormat.Safetensors:
                WriteOnCpu(path, list, (stream, dict) => Safetensors.SaveStateDict(stream, dict, leaveOpen: true));
                break;
            default:
                AtomicFile.Write(path, stream => StateDictFile.Write(stream, list));
                break;
        }
    }

    /// <summary>Writes the tensors atomically through <paramref name="save"/> as a dictionary of detached contiguous CPU copies, disposed afterwards.</summary>
    private static void WriteOnCpu(string path, List<(string Key, Tensor Value)> list, Action<Stream, Dictionary<string, Tensor>> save) =>
        AtomicFile.Write(path, stream =>
        {
            var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (key, value) in list) dict[key] = value.detach().cpu().contiguous();
            try { save(stream, dict); }
            finally { foreach (var t in dict.Values) t.Dispose(); }
        });

    private static FileStream OpenRead(string path)
    {
        if (Directory.Exists(path))
            throw new WeightsFormatException($"{path}: a folder, not a weights file; sharded checkpoints (a folder of shards and an index) are not read: merge them into one .pth or .safetensors file");
        try { return File.OpenRead(path); }
        catch (FileNotFoundException e) { throw new FileNotFoundException($"{path}: weights file not found", path, e); }
    }

    private static WeightsFormat Detect(Stream stream, string path)
    {
        var head = new byte[9];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read >= 4 && head[0] == 0x50 && head[1] == 0x4B && head[2] == 0x03 && head[3] == 0x04) return WeightsFormat.PyTorch;
        if (read >= 6 && head.AsSpan(0, 6).SequenceEqual("TSCKPT"u8))
            throw new WeightsFormatException($"{path}: a TorchSpecs training checkpoint, not a weights file; read it with Checkpoint.Load");
        if (read >= 2 && head[0] == 0x80 && head[1] <= 5)
            throw new WeightsFormatException($"{path}: a bare pickle, the format torch.save used before PyTorch 1.6 (or with _use_new_zipfile_serialization=False); only the zip format torch.save writes by default is read: load it in PyTorch and save it again");
        if (read == 9 && head[8] == (byte)'{')
        {
            ulong headerLength = BitConverter.ToUInt64(head, 0);
            if (headerLength >= 2 && headerLength <= (ulong)Math.Max(0, stream.Length - 8)) return WeightsFormat.Safetensors;
        }
        return WeightsFormat.TorchSharp;
    }

    private static WeightsContent ReadTorchSharp(string path)
    {
        IReadOnlyList<StoredTensor> stored;
        try { stored = StateDictFile.Read(path); }
        catch (InvalidDataException e)
        {
            throw new WeightsFormatException($"{e.Message} (read as TorchSharp's format: the file is not a PyTorch zip or safetensors file either)", e);
        }
        return new WeightsContent(WeightsFormat.TorchSharp, stored.Select(s => (s.Key, s.ToTensor())).ToList(), null);
    }

    private static WeightsContent ReadSafetensors(string path)
    {
        Dictionary<string, Tensor> tensors;
        try { tensors = Safetensors.LoadStateDict(path); }
        catch (Exception e) when (e is JsonException or NotImplementedException or ArgumentException or IOException or InvalidOperationException)
        {
            throw new WeightsFormatException($"{path}: not a valid safetensors file ({e.Message.TrimEnd('.')})", e);
        }
        return new WeightsContent(WeightsFormat.Safetensors, tensors.Select(t => (t.Key, t.Value)).ToList(), null);
    }

    /// <summary>
    /// The top-level dict of a PyTorch zip file (<c>torch.save</c>), read by Razorvine.Pickle without
    /// running any code, its tensors as TorchSharp tensors (the caller disposes them), nested dicts as
    /// <see cref="Hashtable"/>, lists as <see cref="ArrayList"/>. A pickle that calls anything but
    /// torch's tensor rebuilders and <c>OrderedDict</c>, a whole pickled model and a top level that is
    /// not a dict are refused with a <see cref="WeightsFormatException"/> naming the file.
    /// </summary>
    public static Hashtable ReadPickleDict(string path)
    {
        using (var probe = OpenRead(path))
            if (Detect(probe, path) != WeightsFormat.PyTorch)
                throw new WeightsFormatException($"{path}: not a PyTorch file (torch.save writes a zip archive; this one does not start like one)");
        try
        {
            using var stream = File.OpenRead(path);
            return PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (InvalidCastException e)
        {
            throw new WeightsFormatException($"{path}: the pickle holds an object, not a state dict (a dict of names to tensors); in PyTorch save model.state_dict(), not the model", e);
        }
        catch (NotImplementedException e) when (e.Message.Contains("entire model", StringComparison.Ordinal))
        {
            throw new WeightsFormatException($"{path}: the pickle holds a whole model (torch.save(model)), not a state dict; in PyTorch save model.state_dict() instead: a state dict needs no Python classes to read", e);
        }
        catch (PickleException e)
        {
            var call = Regex.Match(e.Message, @"\(for ([^\s()]+)\)");
            string what = call.Success ? $"calls {call.Groups[1].Value}" : "calls a Python function";
            throw new WeightsFormatException($"{path}: refused: the pickle {what} while it is read, which a state dict never does (it holds only tensors, built by torch._utils and collections.OrderedDict). Nothing in the file was run", e);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or NotImplementedException or ArgumentException or IndexOutOfRangeException or KeyNotFoundException)
        {
            throw new WeightsFormatException($"{path}: not a PyTorch state-dict file that can be read ({e.Message.TrimEnd('.')}); expected the zip that torch.save(model.state_dict(), path) writes", e);
        }
    }

    private static WeightsContent ReadPickle(string path)
    {
        Hashtable root = ReadPickleDict(path);
        if (root.Count == 0) throw new WeightsFormatException($"{path}: the pickle holds an empty dict: no tensors to load");
        IReadOnlyList<string>? classes = null;
        IReadOnlyList<float>? mean = null, std = null;
        string? dataSet = null;
        Hashtable dict = root;
        if (!AllTensors(root))
        {
            string? key = StateDictKeys.FirstOrDefault(k => root[k] is Hashtable inner && AllTensors(inner));
            if (key is null)
            {
                var odd = root.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal).First(k => root[k] is not Tensor);
                DisposeAll(root);
                throw new WeightsFormatException($"{path}: the pickle is a dict but not a state dict: '{odd}' holds {Describe(root[odd])}, not a tensor, and no '{string.Join("', '", StateDictKeys)}' entry holds a state dict");
            }
            dict = (Hashtable)root[key]!;
            if (root["classes"] is { } names)
            {
                if (names is not IEnumerable list || names is string || list.Cast<object>().Any(n => n is not string))
                {
                    DisposeAll(root);
                    throw new WeightsFormatException($"{path}: 'classes' holds {Describe(names)}; expected a list of class names");
                }
                classes = list.Cast<string>().ToArray();
            }
            mean = Floats(root, "mean", path);
            std = Floats(root, "std", path);
            dataSet = root["dataset"] as string;
            foreach (DictionaryEntry other in root)
                if (!ReferenceEquals(other.Value, dict)) DisposeAll(other.Value);
        }
        var tensors = dict.Cast<DictionaryEntry>()
            .Select(e => (Key: (string)e.Key, Value: (Tensor)e.Value!))
            .OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        return new WeightsContent(WeightsFormat.PyTorch, tensors, classes, mean, std, dataSet);
    }

    private static IReadOnlyList<float>? Floats(Hashtable root, string key, string path)
    {
        if (root[key] is not { } value) return null;
        if (value is IEnumerable list && value is not string && list.Cast<object>().All(v => v is double or int or long))
            return list.Cast<object>().Select(v => Convert.ToSingle(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        DisposeAll(root);
        throw new WeightsFormatException($"{path}: '{key}' holds {Describe(value)}; expected a list of numbers (one per input channel)");
    }

    private static bool AllTensors(Hashtable table) =>
        table.Count > 0 && table.Cast<DictionaryEntry>().All(e => e.Key is string && e.Value is Tensor);

    /// <summary>Disposes every tensor in an unpickled value (dicts and lists walked).</summary>
    internal static void DisposeAll(object? value)
    {
        if (value is Tensor t) t.Dispose();
        else if (value is Hashtable h) foreach (DictionaryEntry e in h) DisposeAll(e.Value);
        else if (value is IList list) foreach (var item in list) DisposeAll(item);
    }

    internal static string Describe(object? value) => value switch
    {
        null => "None",
        Hashtable => "a dict",
        string => "a string",
        Razorvine.Pickle.Objects.ClassDict c => $"an object of class {c.ClassName}",
        IEnumerable => "a list",
        _ => $"a {value.GetType().Name}",
    };
}
