using System.CommandLine;
using System.Globalization;
using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Interop;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Cli;

/// <summary>
/// <c>predict MODEL --weights F (IMAGE... | --input x.npy)</c>: the top-k classes of each image or
/// batch row, from weights in any format <see cref="WeightsFile"/> reads or a TorchSpecs training
/// checkpoint; <c>--onnx model.onnx</c> runs an exported model through ONNX Runtime instead.
/// 0 ok, 2 bad input.
/// </summary>
internal static class PredictVerb
{
    public static Command Create(IReadOnlyList<ModelInfo> models)
    {
        var images = new Argument<string[]>("images") { Description = "Image files (JPEG, PNG, BMP, GIF), resized to the model's input as training does.", Arity = ArgumentArity.ZeroOrMore };
        var weights = new Option<string?>("--weights") { Description = "Weights: a PyTorch state dict or checkpoint dict (.pt/.pth), .safetensors, TorchSharp's format, or a TorchSpecs checkpoint (.ckpt)." };
        var onnx = new Option<string?>("--onnx") { Description = "Run this ONNX model (from `export --format onnx`) through ONNX Runtime instead of TorchSharp." };
        var input = new Option<string?>("--input") { Description = "A .npy batch, float32 NCHW (already normalized), instead of images." };
        var output = new Option<string?>("--output") { Description = "Write the logits to this .npy file (float32 [N, classes])." };
        var top = new Option<int>("--top") { Description = "How many classes to print per input.", DefaultValueFactory = _ => 5 };
        var classes = new Option<string?>("--classes") { Description = "A text file with one class name per line (default: the checkpoint's names, else class0, class1, ...)." };
        var fit = new Option<string>("--fit") { Description = "Images of another size: resize (bilinear) or pad (smaller ones, centred). Default: the checkpoint's, else resize." };
        var command = new ModelCommand("predict", "Runs a model with given weights (or an ONNX export) on images or a .npy batch and prints the top classes.")
        {
            images, weights, onnx, input, output, top, classes, fit,
        };
        command.SetAction(result => Cli.Guard(() =>
        {
            var info = command.Find(result, models);
            var files = result.GetValue(images) ?? Array.Empty<string>();
            string? weightsPath = result.GetValue(weights), onnxPath = result.GetValue(onnx), npy = result.GetValue(input);
            if ((weightsPath is null) == (onnxPath is null)) throw new CliException("predict: give --weights FILE or --onnx FILE (one of them)");
            if ((files.Length == 0) == (npy is null)) throw new CliException("predict: give image files or --input x.npy (one of them)");
            if (result.GetValue(top) < 1) throw new CliException("--top must be at least 1");

            using var scope = NewDisposeScope();
            using var runner = onnxPath is null ? null : new OnnxRunner(onnxPath);
            var source = runner is null ? LoadWeights(info, weightsPath!) : FromMetadata(info, onnxPath!, runner.Metadata);
            string? fitText = result.GetValue(fit);
            var fitMode = fitText is null ? source.Fit ?? FitMode.Resize
                : Enum.TryParse<FitMode>(fitText, ignoreCase: true, out var parsed) && !int.TryParse(fitText, out _) ? parsed
                : throw new CliException($"--fit: '{fitText}' is not one of resize, pad");
            Tensor x = npy is not null ? ReadBatch(info, npy) : ReadImages(info, files, fitMode, source.Normalization);

            Tensor logits;
            if (runner is not null)
            {
                logits = runner.Run(x);
            }
            else
            {
                using var module = source.Module!;
                module.eval();
                using var inference = torch.inference_mode();
                logits = module.call(x);
            }
            if (result.GetValue(output) is string outPath)
            {
                NpyFile.Write(outPath, logits);
                Console.WriteLine($"logits [{string.Join(", ", logits.shape)}]: {outPath}");
            }
            var names = ClassNames(result.GetValue(classes), source.Classes, logits.shape[1]);
            var labels = npy is not null ? Enumerable.Range(0, (int)x.shape[0]).Select(i => $"{Path.GetFileName(npy)}[{i}]").ToArray() : files;
            Console.Write(FormatTop(labels, logits, names, result.GetValue(top)));
            return 0;
        }));
        return command;
    }

    /// <summary>A module with its weights, and what a checkpoint says about its input and classes.</summary>
    internal sealed record LoadedModel(nn.Module<Tensor, Tensor>? Module, IReadOnlyList<string>? Classes, Normalization? Normalization, FitMode? Fit, string? DataSet = null);

    /// <summary>What `export --format onnx` recorded beside the graph: the model's name, class names, normalization, fit mode.</summary>
    private static LoadedModel FromMetadata(ModelInfo info, string path, IReadOnlyDictionary<string, string> meta)
    {
        if (meta.TryGetValue("model", out var name) && name != info.Name)
            throw new CliException($"{path}: an export of {name}, not {info.Name}");
        try
        {
            var classes = meta.TryGetValue("classes", out var c) ? System.Text.Json.JsonSerializer.Deserialize<string[]>(c) : null;
            Normalization? normalization = meta.TryGetValue("mean", out var m) && meta.TryGetValue("std", out var s)
                ? new Normalization(System.Text.Json.JsonSerializer.Deserialize<float[]>(m)!, System.Text.Json.JsonSerializer.Deserialize<float[]>(s)!) : null;
            FitMode? fit = meta.TryGetValue("fit", out var f) && Enum.TryParse<FitMode>(f, true, out var mode) ? mode : null;
            return new LoadedModel(null, classes, normalization, fit);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CliException($"{path}: unreadable metadata ({e.Message})");
        }
    }

    /// <summary>
    /// Builds the model and loads <paramref name="path"/>: a TorchSpecs checkpoint (TSCKPT magic), or a
    /// weights file in any format, under the model's names, the rows' torch_names, or (when neither
    /// fits) torchvision's names computed from the table.
    /// </summary>
    internal static LoadedModel LoadWeights(ModelInfo info, string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new CliException($"{path}: weights file not found");
        var module = info.Create();
        try
        {
            if (IsCheckpoint(path))
            {
                var meta = Checkpoint.Load(path, info, module);
                return new LoadedModel(module, meta.Classes, meta.Normalization, meta.Options.Fit);
            }
            using var content = WeightsFile.Read(path);
            try
            {
                ModelWeights.Load(module, info, content, Path.GetFileName(path));
            }
            catch (WeightsMismatchException first) when (TorchvisionNames(info) is { } map)
            {
                try { ModelWeights.Load(module, info, content, Path.GetFileName(path), torchNames: map); }
                catch (WeightsMismatchException) { throw first; }
            }
            Normalization? normalization = content.Mean is { } mean && content.Std is { } std ? new Normalization(mean.ToArray(), std.ToArray()) : null;
            return new LoadedModel(module, content.Classes, normalization, null, content.DataSet);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    private static IReadOnlyDictionary<string, string>? TorchvisionNames(ModelInfo info)
    {
        try { return ModelWeights.TorchvisionNames(info); }
        catch (ArgumentException) { return null; }
    }

    /// <summary>True for a TorchSpecs training checkpoint (TSCKPT magic); false for a weights file or a missing one.</summary>
    internal static bool IsCheckpoint(string path)
    {
        if (!File.Exists(path)) return false;
        using var stream = File.OpenRead(path);
        var head = new byte[6];
        return stream.ReadAtLeast(head, 6, throwOnEndOfStream: false) == 6 && head.AsSpan().SequenceEqual("TSCKPT"u8);
    }

    private static Tensor ReadBatch(ModelInfo info, string path)
    {
        var x = NpyFile.Read(path);
        long[] want = info.Input.ToTorch(x.shape.Length > 0 ? x.shape[0] : 0);
        if (!x.shape.SequenceEqual(want))
            throw new CliException($"{path}: shape [{string.Join(", ", x.shape)}], but {info.Name} takes [N, {string.Join(", ", want.Skip(1))}] (float32, NCHW)");
        if (x.shape[0] == 0) throw new CliException($"{path}: an empty batch");
        return x;
    }

    private static Tensor ReadImages(ModelInfo info, IReadOnlyList<string> files, FitMode fit, Normalization? normalization)
    {
        if (info.Input.IsFlat) throw new CliException($"{info.Name} takes a flat input ({info.Input}), not images; pass --input x.npy");
        foreach (var file in files)
            if (!File.Exists(file)) throw new CliException($"{file}: image not found");
        using var data = new ImageFiles(files);
        var norm = normalization ?? new Normalization(Enumerable.Repeat(0f, (int)info.Input.Channels).ToArray(), Enumerable.Repeat(1f, (int)info.Input.Channels).ToArray());
        if (normalization is null) Console.Error.WriteLine("note: the weights carry no normalization; pixels are fed in [0, 1]");
        var transform = new BatchTransform(info.Input, fit, norm);
        using var indices = torch.arange(files.Count, dtype: ScalarType.Int64);
        return transform.Apply(data, indices);
    }

    private static IReadOnlyList<string> ClassNames(string? file, IReadOnlyList<string>? fromWeights, long count)
    {
        IReadOnlyList<string>? names = fromWeights;
        if (file is not null)
        {
            if (!File.Exists(file)) throw new CliException($"{file}: class-name file not found");
            names = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (names.Count != count) throw new CliException($"{file}: {names.Count} class names, but the model gives {count} outputs");
        }
        if (names is null || names.Count != count) names = Enumerable.Range(0, (int)count).Select(i => $"class{i}").ToArray();
        return names;
    }

    /// <summary>One block per input: its label, then the top classes with softmax probability and logit.</summary>
    internal static string FormatTop(IReadOnlyList<string> labels, Tensor logits, IReadOnlyList<string> names, int top)
    {
        using var scope = NewDisposeScope();
        var cpu = logits.detach().cpu().to_type(ScalarType.Float32);
        var probabilities = cpu.softmax(1);
        int k = (int)Math.Min(top, cpu.shape[1]);
        var (values, indices) = probabilities.topk(k, dim: 1);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < labels.Count; i++)
        {
            text.AppendLine($"{labels[i]}:");
            for (int j = 0; j < k; j++)
            {
                long c = indices[i, j].item<long>();
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {j + 1}. {names[(int)c]}  {values[i, j].item<float>():F4}  (logit {cpu[i, c].item<float>():F4})"));
            }
        }
        return text.ToString();
    }

    /// <summary>Image files as an unlabelled data set, decoded to RGB and resized bilinearly as an image folder does.</summary>
    private sealed class ImageFiles(IReadOnlyList<string> files) : ImageDataSet
    {
        private readonly Tensor _labels = torch.zeros(files.Count, dtype: ScalarType.Int64);
        public override string Name => "images";
        public override int Channels => 3;
        public override (long Height, long Width)? ImageSize => null;
        public override IReadOnlyList<string> Classes => Array.Empty<string>();
        public override Tensor Labels => _labels;

        public override Tensor Images(Tensor indices, long height, long width)
        {
            using var scope = NewDisposeScope();
            var batch = indices.data<long>().ToArray().Select(i =>
            {
                var image = Decode(files[(int)i]).unsqueeze(0);
                return image.shape[2] == height && image.shape[3] == width ? image
                    : nn.functional.interpolate(image, size: new[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
            }).ToArray();
            return torch.cat(batch, 0).MoveToOuterDisposeScope();
        }

        private static Tensor Decode(string file)
        {
            byte[] rgb;
            int width, height;
            try { rgb = ImageFile.DecodeRgb(file, out width, out height); }
            catch (DataFormatException e) { throw new CliException(e.Message); }
            using var hwc = torch.tensor(rgb, new long[] { height, width, 3 }, ScalarType.Byte);
            return hwc.permute(2, 0, 1).to_type(ScalarType.Float32).div_(255f);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _labels.Dispose();
        }
    }
}

/// <summary>Bad input to an interop verb: one line on stderr, exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>Maps the library's errors about files and models to one line and exit code 2.</summary>
internal static class Cli
{
    public static int Guard(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is CliException or UnknownModelException or WeightsMismatchException or WeightsFormatException or NpyFormatException or ModelExportException
                                   or CheckpointException or DataFormatException or FileNotFoundException or ArgumentException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
