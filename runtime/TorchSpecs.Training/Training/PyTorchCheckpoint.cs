using System.Collections;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TorchSpecs.Data;
using static TorchSharp.torch;

namespace TorchSpecs.Training;

/// <summary>
/// A checkpoint that <c>scripts/train_ddp.py</c> writes from rank 0 of a torchrun job (PyTorch's
/// <c>torch.save</c> zip), read so that the .NET <see cref="Trainer"/> can go on with the run:
/// the state dict (keys mapped through the rows' names and torch_names, as <see cref="ModelWeights"/>
/// does), the epochs completed, the options and per-epoch history the script records, the input
/// normalization, and SGD's momentum buffers. PyTorch's optimizer state dict keys the buffers by
/// the parameter's index in <c>parameters()</c> order; the script also stores the parameters'
/// names in that order, and each buffer goes to the .NET parameter of that name, checked by
/// position and shape. Every entry the trainer needs must be there: a missing or malformed one is a
/// <see cref="CheckpointException"/> naming the file and the entry.
/// </summary>
/// <remarks>
/// The script's options map onto <see cref="TrainOptions"/> as: <c>epochs</c>, <c>lr</c> (the peak of
/// the one-cycle schedule, which the script computes as .NET's <see cref="ScheduleKind.OneCycle"/>),
/// <c>seed</c> and <c>limit</c> as they are; the batch is the global one, <c>batch_size</c> (per rank)
/// times <c>world_size</c>; momentum, weight decay and Nesterov come from the optimizer's parameter
/// group; no validation split (the script holds none out), no augmentation, bilinear resizing.
/// </remarks>
public sealed class PyTorchCheckpoint : IDisposable
{
    /// <summary>The value of the checkpoint's <c>format</c> entry.</summary>
    public const string FormatName = "torchspecs-train-ddp";
    /// <summary>The <c>format_version</c> this reader reads.</summary>
    public const int FormatVersion = 1;

    private WeightsContent Weights { get; init; } = null!;
    private IReadOnlyList<Tensor?> Momentum { get; init; } = Array.Empty<Tensor?>();
    private IReadOnlyList<string> ParameterNames { get; init; } = Array.Empty<string>();

    private PyTorchCheckpoint() { }

    public string Path { get; private init; } = "";
    public ModelInfo Info { get; private init; } = null!;
    /// <summary>What the .NET trainer takes from the file, as its own checkpoints say it (<see cref="CheckpointMeta.Spec"/> is null: the file records no layer table; the weights' shapes are checked instead).</summary>
    public CheckpointMeta Meta { get; private init; } = null!;
    /// <summary>The torchrun job's processes (the global batch is the per-rank batch times this).</summary>
    public int WorldSize { get; private init; }
    /// <summary>Optimizer steps each rank took, including steps of an epoch cut short (which <see cref="CheckpointMeta.Epoch"/> does not count).</summary>
    public long Steps { get; private init; }
    public int StepsPerEpoch { get; private init; }

    /// <summary>True when the file is a PyTorch zip (<c>torch.save</c>), not a TorchSpecs checkpoint.</summary>
    public static bool IsPyTorchFile(string path)
    {
        if (!File.Exists(path)) return false;
        try { return WeightsFile.Detect(path) == WeightsFormat.PyTorch; }
        catch (WeightsFormatException) { return false; }
    }

    /// <summary>Reads the whole file and checks it against <paramref name="info"/> (model name, tensors and their shapes, channels of the normalization).</summary>
    /// <exception cref="CheckpointException">The file is not a checkpoint of the script, an entry is missing or malformed, or it does not fit the model.</exception>
    public static PyTorchCheckpoint Read(string path, ModelInfo info)
    {
        Hashtable root;
        try { root = WeightsFile.ReadPickleDict(path); }
        catch (WeightsFormatException e) { throw new CheckpointException(e.Message, e); }
        catch (FileNotFoundException e) { throw new CheckpointException($"{path}: checkpoint not found", e); }
        try
        {
            return Parse(path, info, root);
        }
        catch
        {
            WeightsFile.DisposeAll(root);
            throw;
        }
    }

    /// <summary>Only the metadata (the file is read and checked whole).</summary>
    public static CheckpointMeta ReadMeta(string path, ModelInfo info)
    {
        using var checkpoint = Read(path, info);
        return checkpoint.Meta;
    }

    /// <summary>
    /// Copies the weights into <paramref name="module"/> (strict: every tensor, shapes checked) and,
    /// when <paramref name="optimizer"/> is TorchSharp's SGD, the momentum buffers into its state:
    /// buffer i to the optimizer's parameter i, which must be the module's parameter of the name the
    /// script recorded at i and have the buffer's shape. Another optimizer starts afresh.
    /// </summary>
    public void LoadInto(nn.Module module, TorchSharp.Modules.OptimizerHelper? optimizer)
    {
        // Everything is checked before anything is copied: a file that does not fit changes nothing.
        var buffers = optimizer is TorchSharp.Modules.SGD sgd ? PlanMomentum(module, sgd) : null;
        try { ModelWeights.Load(module, Info, Weights, Path); }
        catch (WeightsMismatchException e) { throw new CheckpointException(e.Message, e); }
        foreach (var (slot, buffer, parameter) in buffers ?? new())
        {
            slot.momentum_buffer?.Dispose();
            slot.momentum_buffer = buffer.to(parameter.dtype, parameter.device, copy: true).DetachFromDisposeScope();
        }
    }

    private List<(TorchSharp.Modules.SGD.State Slot, Tensor Buffer, Tensor Parameter)> PlanMomentum(nn.Module module, TorchSharp.Modules.SGD sgd)
    {
        var named = module.named_parameters().ToList();
        var target = module.state_dict();
        var parameters = sgd.ParamGroups.OfType<TorchSharp.Modules.ParamGroup>().SelectMany(g => g.Parameters).ToList();
        if (parameters.Count != ParameterNames.Count || named.Count != parameters.Count)
            throw new CheckpointException($"{Path}: the optimizer state is for {ParameterNames.Count} parameters; {Info.Name}'s optimizer has {parameters.Count}");
        var state = sgd.state_dict().State;
        var plan = new List<(TorchSharp.Modules.SGD.State, Tensor, Tensor)>();
        for (int i = 0; i < parameters.Count; i++)
        {
            var (name, parameter) = named[i];
            if (parameter.Handle != parameters[i].Handle)
                throw new CheckpointException($"{Path}: the optimizer's parameter {i} is not {Info.Name}'s parameter {i} ('{name}'); build the optimizer from module.parameters()");
            // The recorded name as the model knows it (a torch_name maps to its row).
            string recorded = ModelWeights.ModelKey(ParameterNames[i], Info, target);
            if (!string.Equals(name, recorded, StringComparison.Ordinal))
                throw new CheckpointException($"{Path}: momentum buffer {i} is for parameter '{ParameterNames[i]}', but {Info.Name}'s parameter {i} is '{name}'");
            if (Momentum[i] is not { } buffer) continue;
            if (!buffer.shape.SequenceEqual(parameter.shape))
                throw new CheckpointException($"{Path}: momentum buffer {i} ('{name}') has shape {Shape(buffer.shape)}, the parameter {Shape(parameter.shape)}");
            plan.Add(((TorchSharp.Modules.SGD.State)state[i], buffer, parameter));
        }
        return plan;
    }

    public void Dispose()
    {
        Weights.Dispose();
        foreach (var t in Momentum) t?.Dispose();
    }

    private static PyTorchCheckpoint Parse(string path, ModelInfo info, Hashtable root)
    {
        string Missing(string key, string what) =>
            $"{path}: no '{key}' entry ({what}); the trainer resumes the PyTorch checkpoints scripts/train_ddp.py writes (this one holds: {Keys(root)})";

        if (root.Count > 0 && root.Cast<DictionaryEntry>().All(e => e.Value is Tensor))
            throw new CheckpointException($"{path}: a state dict (weights only, {root.Count} tensors), not a checkpoint of scripts/train_ddp.py: it has no epochs, options or optimizer state to go on from; load it as weights and start a run instead");
        if (root["format"] is not string format || format != FormatName)
            throw new CheckpointException(root.ContainsKey("format")
                ? $"{path}: 'format' is {Show(root["format"])}, not '{FormatName}'"
                : Missing("format", $"'{FormatName}'"));
        long version = Integer(root, "format_version", path, "the format's version");
        if (version != FormatVersion)
            throw new CheckpointException($"{path}: format_version {version}; this version of TorchSpecs reads {FormatName} version {FormatVersion}");

        string model = Text(root, "model", path, "the model's name");
        if (!string.Equals(model, info.Name, StringComparison.Ordinal))
            throw new CheckpointException($"{path}: a checkpoint of model {model}, not {info.Name}");
        string dataSet = Text(root, "dataset", path, "the data set's name");
        int epoch = checked((int)Integer(root, "epoch", path, "the epochs completed"));
        if (epoch < 0) throw new CheckpointException($"{path}: 'epoch' is {epoch}; expected the number of epochs completed");
        int world = checked((int)Integer(root, "world_size", path, "the number of ranks"));
        if (world < 1) throw new CheckpointException($"{path}: 'world_size' is {world}; expected the number of ranks (at least 1)");
        long steps = Integer(root, "steps", path, "the optimizer steps per rank");
        int perEpoch = checked((int)Integer(root, "steps_per_epoch", path, "the steps of one epoch"));
        var classes = List(root, "classes", path, "the class names").Select((c, i) => c as string
            ?? throw new CheckpointException($"{path}: 'classes' item {i} is {Show(c)}; expected a class name")).ToArray();
        float[] mean = Numbers(root, "mean", path), std = Numbers(root, "std", path);
        if (mean.Length != info.Input.Channels || std.Length != info.Input.Channels)
            throw new CheckpointException($"{path}: 'mean' and 'std' hold {mean.Length} and {std.Length} values; {info.Name} takes {info.Input.Channels} channel(s)");

        if (root["args"] is not string argsJson) throw new CheckpointException(root.ContainsKey("args")
            ? $"{path}: 'args' is {Show(root["args"])}; expected the script's options as a JSON string"
            : Missing("args", "the script's options"));
        JsonElement args;
        try { args = JsonDocument.Parse(argsJson).RootElement.Clone(); }
        catch (JsonException e) { throw new CheckpointException($"{path}: 'args' is not JSON ({e.Message})", e); }
        double Arg(string key)
        {
            if (args.ValueKind == JsonValueKind.Object && args.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number) return v.GetDouble();
            throw new CheckpointException($"{path}: 'args' has no number '{key}' (an option of scripts/train_ddp.py)");
        }

        var optimizer = root["optimizer"] as Hashtable ?? throw new CheckpointException(root.ContainsKey("optimizer")
            ? $"{path}: 'optimizer' is {Show(root["optimizer"])}; expected SGD's state_dict()"
            : Missing("optimizer", "SGD's state_dict()"));
        if (optimizer["param_groups"] is not IList { Count: > 0 } groupList)
            throw new CheckpointException($"{path}: 'optimizer' has no 'param_groups' list");
        if (groupList.Count != 1)
            throw new CheckpointException($"{path}: the optimizer has {groupList.Count} parameter groups; the .NET trainer has one");
        var group = groupList[0] as Hashtable ?? throw new CheckpointException($"{path}: the optimizer's parameter group is {Show(groupList[0])}, not a dict");
        double GroupNumber(string key) => group[key] is { } v && v is double or int or long
            ? Convert.ToDouble(v, CultureInfo.InvariantCulture)
            : throw new CheckpointException($"{path}: the optimizer's parameter group has no number '{key}' (an SGD state_dict has one)");
        bool GroupFlag(string key) => group[key] as bool? ?? throw new CheckpointException($"{path}: the optimizer's parameter group has no true/false '{key}' (an SGD state_dict has one)");
        if (GroupNumber("dampening") != 0 || GroupFlag("maximize"))
            throw new CheckpointException($"{path}: the optimizer uses dampening {GroupNumber("dampening")} / maximize; the .NET trainer's SGD has neither");
        var indices = (group["params"] as IList ?? throw new CheckpointException($"{path}: the optimizer's parameter group has no 'params' list"))
            .Cast<object>().Select(i => i is int or long ? Convert.ToInt64(i, CultureInfo.InvariantCulture)
                : throw new CheckpointException($"{path}: the optimizer's 'params' holds {Show(i)}; expected parameter indices")).ToArray();
        var names = List(root, "param_names", path, "the parameters' names in parameters() order")
            .Select((n, i) => n as string ?? throw new CheckpointException($"{path}: 'param_names' item {i} is {Show(n)}; expected a name")).ToArray();
        if (names.Length != indices.Length)
            throw new CheckpointException($"{path}: 'param_names' names {names.Length} parameters, the optimizer's group has {indices.Length}");
        var stateTable = optimizer["state"] as Hashtable ?? throw new CheckpointException($"{path}: 'optimizer' has no 'state' dict");
        var momentum = new Tensor?[indices.Length];
        var byIndex = stateTable.Cast<DictionaryEntry>().ToDictionary(e => e.Key is int or long ? Convert.ToInt64(e.Key, CultureInfo.InvariantCulture)
            : throw new CheckpointException($"{path}: the optimizer's 'state' has key {Show(e.Key)}; expected parameter indices"), e => e.Value);
        for (int i = 0; i < indices.Length; i++)
        {
            if (!byIndex.TryGetValue(indices[i], out var entry)) continue;   // never stepped: no buffer yet
            if (entry is not Hashtable slot || slot["momentum_buffer"] is not (Tensor or null))
                throw new CheckpointException($"{path}: the optimizer's state of parameter {indices[i]} ('{names[i]}') is {Show(entry)}; expected {{'momentum_buffer': tensor}}");
            momentum[i] = slot["momentum_buffer"] as Tensor;
        }

        var history = List(root, "history", path, "one record per completed epoch").Select((r, i) => Record(r, i, path)).ToArray();
        if (history.Length != epoch || history.Select((r, i) => r.Epoch != i + 1).Any(b => b))
            throw new CheckpointException($"{path}: 'history' holds epochs {string.Join(", ", history.Select(r => r.Epoch))}, but 'epoch' says {epoch} were completed");

        int batch = checked((int)Arg("batch_size"));
        var options = new TrainOptions
        {
            Epochs = checked((int)Arg("epochs")),
            BatchSize = checked(batch * world),
            Optimizer = OptimizerKind.Sgd,
            LearningRate = Arg("lr"),
            Momentum = GroupNumber("momentum"),
            Nesterov = GroupFlag("nesterov"),
            WeightDecay = GroupNumber("weight_decay"),
            Schedule = ScheduleKind.OneCycle,
            ValidationFraction = 0,
            Seed = checked((long)Arg("seed")),
            Limit = checked((int)Arg("limit")),
            Fit = FitMode.Resize,
            Augmentation = Augmentation.None,
        };
        if (options.Validate() is { } problem)
            throw new CheckpointException($"{path}: the script's options do not make a .NET run: {problem}");

        var stateDict = root[WeightsFile.StateDictKeys[0]] as Hashtable ?? throw new CheckpointException(Missing("state_dict", "the module's weights"));
        var tensors = stateDict.Cast<DictionaryEntry>().Select(e => e.Key is string key && e.Value is Tensor t ? (key, t)
            : throw new CheckpointException($"{path}: 'state_dict' holds {Show(e.Value)} under {Show(e.Key)}; expected tensors under names")).OrderBy(e => e.key, StringComparer.Ordinal).ToList();

        int best = Enumerable.Range(0, history.Length).OrderByDescending(i => history[i].TrainAccuracy).ThenBy(i => i).FirstOrDefault(-1);
        var meta = new CheckpointMeta
        {
            Model = model,
            Input = info.Input.ToString(),
            Epoch = epoch,
            Options = options,
            DataSet = dataSet,
            Classes = classes,
            Normalization = new Normalization(mean, std),
            Schedule = new ScheduleState(1.0, double.PositiveInfinity, 0),
            History = history,
            BestAccuracy = best < 0 ? double.NegativeInfinity : history[best].TrainAccuracy,
            BestEpoch = best + 1,
            EpochsWithoutImprovement = best < 0 ? 0 : history.Length - 1 - best,
        };
        // Any other tensor in the file (none in the script's) is not needed.
        var kept = new HashSet<Tensor>(tensors.Select(t => t.t).Concat(momentum.OfType<Tensor>()), ReferenceEqualityComparer.Instance);
        DisposeOthers(root, kept);
        return new PyTorchCheckpoint
        {
            Path = path, Info = info, Meta = meta, Weights = new WeightsContent(WeightsFormat.PyTorch, tensors, classes, mean, std, dataSet),
            ParameterNames = names, Momentum = momentum, WorldSize = world, Steps = steps, StepsPerEpoch = perEpoch,
        };
    }

    private static void DisposeOthers(object? value, HashSet<Tensor> kept)
    {
        if (value is Tensor t) { if (!kept.Contains(t)) t.Dispose(); }
        else if (value is Hashtable h) foreach (DictionaryEntry e in h) DisposeOthers(e.Value, kept);
        else if (value is IList list) foreach (var item in list) DisposeOthers(item, kept);
    }

    private static EpochRecord Record(object? value, int index, string path)
    {
        var record = value as Hashtable ?? throw new CheckpointException($"{path}: 'history' item {index} is {Show(value)}; expected a dict per epoch");
        double Number(string key) => record[key] is { } v && v is double or int or long
            ? Convert.ToDouble(v, CultureInfo.InvariantCulture)
            : throw new CheckpointException($"{path}: 'history' item {index} has no number '{key}'");
        return new EpochRecord(checked((int)Number("epoch")), Number("lr"), Number("train_loss"), Number("train_accuracy"), null, null,
            Number("images_per_second"), Number("seconds"));
    }

    private static string Text(Hashtable root, string key, string path, string what) => root[key] as string
        ?? throw new CheckpointException(root.ContainsKey(key) ? $"{path}: '{key}' is {Show(root[key])}; expected {what} as a string" : $"{path}: no '{key}' entry ({what})");

    private static long Integer(Hashtable root, string key, string path, string what) => root[key] is int or long
        ? Convert.ToInt64(root[key], CultureInfo.InvariantCulture)
        : throw new CheckpointException(root.ContainsKey(key) ? $"{path}: '{key}' is {Show(root[key])}; expected {what} as an integer" : $"{path}: no '{key}' entry ({what}); scripts/train_ddp.py writes it");

    private static IReadOnlyList<object?> List(Hashtable root, string key, string path, string what) => root[key] is IList list
        ? list.Cast<object?>().ToList()
        : throw new CheckpointException(root.ContainsKey(key) ? $"{path}: '{key}' is {Show(root[key])}; expected a list ({what})" : $"{path}: no '{key}' entry ({what}); scripts/train_ddp.py writes it");

    private static float[] Numbers(Hashtable root, string key, string path) => List(root, key, path, "one number per input channel")
        .Select(v => v is double or int or long ? Convert.ToSingle(v, CultureInfo.InvariantCulture)
            : throw new CheckpointException($"{path}: '{key}' holds {Show(v)}; expected numbers (one per input channel)")).ToArray();

    private static string Keys(Hashtable root)
    {
        var keys = root.Keys.Cast<object>().Select(k => k.ToString() ?? "").Order(StringComparer.Ordinal).ToList();
        return string.Join(", ", keys.Take(12)) + (keys.Count > 12 ? $" and {keys.Count - 12} more" : "");
    }

    private static string Show(object? value) => value is string s ? $"'{s}'" : WeightsFile.Describe(value);

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
