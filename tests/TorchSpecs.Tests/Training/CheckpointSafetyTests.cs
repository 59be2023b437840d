using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Models;
using TorchSpecs.Tests.Data;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

/// <summary>Checkpoints that never lie: spec fingerprints, the best/last window, orphan temporary files, refusing before resuming.</summary>
public class CheckpointSafetyTests
{
    private static ModelInfo WithLayer(ModelInfo info, string name, Func<LayerInfo, LayerInfo> change) =>
        new(info.Name, info.Description, info.Source, info.SpecFile, info.Input,
            info.Layers.Select(l => l.Name == name ? change(l) : l).ToArray(), info.Create);

    private static string TrainOneEpoch(string directory)
    {
        using var data = SyntheticData.Quadrants(64, seed: 3);
        var trainer = TrainerTests.Tiny(TrainerTests.Quick with { Epochs = 1 }, directory, out var model);
        using (model) trainer.Fit(data);
        return Path.Combine(directory, CheckpointPolicy.LastFile);
    }

    [Fact]
    public void A_changed_spec_is_refused_saying_what_changed()
    {
        using var dir = new TempDirectory();
        string last = TrainOneEpoch(dir.Path);
        using var model = TinyQuadrants.Info.Create();
        Checkpoint.Load(last, TinyQuadrants.Info, model);   // the same spec loads

        var tanh = WithLayer(TinyQuadrants.Info, "relu1", l => l with { Activation = "tanh", Description = "tanh" });
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(last, tanh, model));
        Assert.Contains(last, e.Message);
        Assert.Contains("relu1: activation relu -> tanh", e.Message);

        var trainer = new Trainer(model, TrainerTests.Quick with { Epochs = 2 }) { Spec = tanh };
        Assert.Contains("relu1: activation relu -> tanh", Assert.Throws<CheckpointException>(() => trainer.Resume(last)).Message);

        var eps = WithLayer(TinyQuadrants.Info, "bn1", l => l with { Attributes = new BatchNormAttributes(0.1, 0.1) });
        Assert.Contains("bn1: eps 1E-05 -> 0.1", Assert.Throws<CheckpointException>(() => Checkpoint.Load(last, eps, model)).Message);

        var pooled = WithLayer(TinyQuadrants.Info, "pool1", l => l with { Attributes = ((PoolAttributes)l.Attributes) with { Stride = new Size2D(1, 1) } });
        Assert.Contains("pool1: stride 2 -> 1", Assert.Throws<CheckpointException>(() => Checkpoint.Load(last, pooled, model)).Message);

        var meta = Checkpoint.ReadMeta(last);
        Assert.Equal(TinyQuadrants.Info.Layers.Count, meta.Spec!.Count);
        Assert.Equal("8x8x8", meta.Spec[0].Output);
        Assert.Equal("eps=1E-05; momentum=0.1", meta.Spec[1].Attributes);
    }

    [Fact]
    public void The_changes_of_the_issue_are_all_named()
    {
        // relu -> tanh, BN eps 0.1, dropout 0.8 in FashionVgg: each loaded silently before fingerprints.
        var changed = WithLayer(WithLayer(WithLayer(FashionVgg.Info,
            "relu1", l => l with { Activation = "tanh", Description = "tanh" }),
            "bn2_1", l => l with { Attributes = new BatchNormAttributes(0.1, 0.1) }),
            "drop", l => l with { Attributes = new DropoutAttributes(0.8), Description = "dropout 0.8" });
        var changes = LayerFingerprint.Compare(LayerFingerprint.Of(FashionVgg.Info), LayerFingerprint.Of(changed));
        Assert.Equal(new[] { "relu1: activation relu -> tanh", "bn2_1: eps 1E-05 -> 0.1", "drop: rate 0.5 -> 0.8" }, changes);
    }

    [Fact]
    public void Fingerprints_compare_field_by_field()
    {
        var a = LayerFingerprint.Of(TinyQuadrants.Info);
        Assert.Empty(LayerFingerprint.Compare(a, a));
        var dropped = a.Where(l => l.Name != "pool1").ToArray();
        Assert.Contains("layer pool1 (max pool 2x2, stride 2) was removed", LayerFingerprint.Compare(a, dropped));
        var before = a.Select(l => l.Name == "bn1" ? l with { Attributes = "eps=1E-05; momentum=0.1" } : l).ToArray();
        var eps = a.Select(l => l.Name == "bn1" ? l with { Attributes = "eps=0.1; momentum=0.1" } : l).ToArray();
        Assert.Equal(new[] { "bn1: eps 1E-05 -> 0.1" }, LayerFingerprint.Compare(before, eps));
    }

    [Fact]
    public void Orphan_temporary_files_of_killed_saves_are_removed_at_the_next_save()
    {
        using var dir = new TempDirectory();
        string target = dir.File("last.ckpt");
        string orphan = $"{target}.{int.MaxValue - 7}.0123456789abcdef0123456789abcdef.tmp";   // no such process
        string mine = $"{target}.{Environment.ProcessId}.fedcba9876543210fedcba9876543210.tmp";   // a save of this process
        string other = dir.File("notes.txt.1.tmp");
        File.WriteAllText(orphan, "half a checkpoint");
        File.WriteAllText(mine, "in progress");
        File.WriteAllText(other, "not ours");
        AtomicFile.Write(target, s => s.Write("new"u8));
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(mine));
        Assert.True(File.Exists(other));
        Assert.Equal("new", File.ReadAllText(target));
    }

    [Fact]
    public void Resume_repairs_a_best_checkpoint_left_stale_by_a_kill()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(128, seed: 3);
        var options = TrainerTests.Quick with { Epochs = 2, ValidationFraction = 0 };
        var first = TrainerTests.Tiny(options, dir.Path, out var m1);
        using (m1) first.Fit(data);
        var last = Checkpoint.ReadMeta(Path.Combine(dir.Path, CheckpointPolicy.LastFile));
        Assert.Equal(2, last.BestEpoch);   // training accuracy improved in epoch 2

        // What a kill between the two writes of epoch 2 leaves: best.ckpt from epoch 1.
        var one = TrainerTests.Tiny(options with { Epochs = 1 }, Path.Combine(dir.Path, "one"), out var m2);
        using (m2) one.Fit(data);
        File.Copy(Path.Combine(dir.Path, "one", CheckpointPolicy.BestFile), Path.Combine(dir.Path, CheckpointPolicy.BestFile), overwrite: true);

        var counter = new TrainerTests.Counter();
        var resumed = TrainerTests.Tiny(options with { Epochs = 3, LearningRate = 1e-9, Schedule = ScheduleKind.Constant }, dir.Path, out var m3, counter);
        using (m3)
        {
            resumed.Resume(Path.Combine(dir.Path, CheckpointPolicy.LastFile), allowChanges: new[] { "LearningRate", "Schedule" });
            resumed.Fit(data);
        }
        Assert.Contains(counter.Messages, m => m.Contains("best.ckpt held epoch 1") && m.Contains("copied"));
        var best = Checkpoint.ReadMeta(Path.Combine(dir.Path, CheckpointPolicy.BestFile));
        Assert.Equal(Checkpoint.ReadMeta(Path.Combine(dir.Path, CheckpointPolicy.LastFile)).BestEpoch, best.Epoch);
    }

    [Fact]
    public void Records_holding_lists_are_equal_by_value()
    {
        Assert.Equal(new Normalization(new[] { 0.5f, 0.25f }, new[] { 1f, 2f }), new Normalization(new[] { 0.5f, 0.25f }, new[] { 1f, 2f }));
        Assert.Equal(new Normalization(new[] { 0.5f }, new[] { 1f }).GetHashCode(), new Normalization(new[] { 0.5f }, new[] { 1f }).GetHashCode());
        Assert.NotEqual(new Normalization(new[] { 0.5f }, new[] { 1f }), new Normalization(new[] { 0.5f }, new[] { 2f }));

        using var dir = new TempDirectory();
        var meta = Checkpoint.ReadMeta(TrainOneEpoch(dir.Path));
        var copy = JsonSerializer.Deserialize<CheckpointMeta>(JsonSerializer.Serialize(meta, Checkpoint.Json), Checkpoint.Json)!;
        Assert.NotSame(meta.Classes, copy.Classes);
        Assert.Equal(meta, copy);
        Assert.Equal(meta.GetHashCode(), copy.GetHashCode());
        Assert.NotEqual(meta, copy with { Classes = new[] { "a", "b", "c", "x" } });
        Assert.NotEqual(meta, copy with { Normalization = new Normalization(new[] { 0f }, new[] { 1f }) });
    }

    // ---- kill -9 of a real process in the best/last window ----

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "torchspecs.dll");

    /// <summary>Tiny Fashion-MNIST files: 28x28 images whose class is which of 10 bands is bright.</summary>
    internal static void WriteBands(string dir, int train = 96, int test = 20)
    {
        Directory.CreateDirectory(dir);
        void Write(string images, string labels, int count, int seed)
        {
            var random = new Random(seed);
            byte[] label = Enumerable.Range(0, count).Select(_ => (byte)random.Next(10)).ToArray();
            File.WriteAllBytes(Path.Combine(dir, images), IdxTests.Images(count, 28, 28, (n, r, c) => (byte)(r / 3 == label[n] ? 220 : random.Next(60))));
            File.WriteAllBytes(Path.Combine(dir, labels), IdxTests.Labels(label));
        }
        Write("train-images-idx3-ubyte", "train-labels-idx1-ubyte", train, 1);
        Write("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", test, 2);
    }

    private static Process StartCli(IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["CI"] = "true";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return Process.Start(start)!;
    }

    private static (int Exit, string Out, string Error) RunCli(params string[] args)
    {
        using var process = StartCli(args);
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4))) { process.Kill(true); throw new TimeoutException(string.Join(" ", args)); }
        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }

    private static void KillAt(string point, string marker, string[] args)
    {
        using var process = StartCli(args, new Dictionary<string, string> { ["TORCHSPECS_TEST_PAUSE"] = point, ["TORCHSPECS_TEST_PAUSE_MARKER"] = marker });
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(marker))
        {
            Assert.False(process.HasExited, $"the process ended (exit {(process.HasExited ? process.ExitCode : 0)}) before reaching {point}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(4), $"no pause at {point} within 4 minutes");
            Thread.Sleep(50);
        }
        process.Kill(entireProcessTree: true);   // SIGKILL: no cleanup runs
        process.WaitForExit();
    }

    [Fact]
    public void Kill_between_last_and_best_then_resume_repairs_best()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data"), run = dir.File("run");
        WriteBands(data);
        string[] train = { "train", "FashionVgg", "--data", data, "--epochs", "3", "--batch-size", "16", "--validation", "0", "--lr", "0.05",
                           "--no-test", "--out", run, "--seed", "1" };
        KillAt("between-last-and-best", dir.File("paused"), train);

        var last = Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.LastFile));
        var stale = Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.BestFile));
        Assert.Equal(last.Epoch, last.BestEpoch);             // killed right after an improving epoch's last.ckpt
        Assert.True(stale.Epoch < last.BestEpoch, $"best.ckpt epoch {stale.Epoch}, last.ckpt's best {last.BestEpoch}");

        var (exit, output, error) = RunCli(train.Select(a => a == "3" ? "4" : a).Append("--resume").ToArray());
        Assert.True(exit == 0, error + output);
        Assert.Contains($"best.ckpt held epoch {stale.Epoch}", output);
        var final = Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.LastFile));
        Assert.Equal(final.BestEpoch, Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.BestFile)).Epoch);
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
    }

    [Fact]
    public void Kill_mid_save_leaves_an_orphan_that_the_next_run_removes()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data"), run = dir.File("run");
        WriteBands(data, train: 32, test: 8);
        string[] train = { "train", "FashionVgg", "--data", data, "--epochs", "1", "--batch-size", "16", "--validation", "0", "--no-test", "--out", run };
        KillAt("before-rename", dir.File("paused"), train);
        Assert.Single(Directory.GetFiles(run, "last.ckpt.*.tmp"));
        Assert.False(File.Exists(Path.Combine(run, CheckpointPolicy.LastFile)));

        var (exit, output, error) = RunCli(train);
        Assert.True(exit == 0, error + output);
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
        Assert.Equal(1, Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.LastFile)).Epoch);
    }

    [Fact]
    public void Resume_refuses_a_bad_checkpoint_before_saying_resuming()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data"), run = dir.File("run");
        WriteBands(data, train: 32, test: 8);
        Directory.CreateDirectory(run);

        // A FashionVgg checkpoint whose recorded spec has tanh where the compiled spec has relu.
        using (var model = FashionVgg.Info.Create())
        {
            var spec = LayerFingerprint.Of(FashionVgg.Info).Select(l => l.Name == "relu2_1" ? l with { Activation = "tanh" } : l).ToArray();
            var meta = new CheckpointMeta
            {
                Model = "FashionVgg", Input = "28x28x1", Epoch = 1, Options = new TrainOptions(), DataSet = "fashion-mnist",
                Classes = DataSets.FashionMnistClasses.ToArray(), Normalization = new Normalization(new[] { 0.3f }, new[] { 0.3f }),
                Schedule = new ScheduleState(1, double.PositiveInfinity, 0), History = Array.Empty<EpochRecord>(), Spec = spec,
            };
            Checkpoint.Save(Path.Combine(run, "changed.ckpt"), meta, model, Trainer.CreateOptimizer(model, new TrainOptions()));
        }
        var (exit, output, error) = RunCli("train", "FashionVgg", "--data", data, "--epochs", "2", "--out", run, "--resume", "--from", Path.Combine(run, "changed.ckpt"));
        Assert.Equal(2, exit);
        Assert.Contains("relu2_1: activation tanh -> relu", error);
        Assert.DoesNotContain("resuming", output);

        File.WriteAllBytes(Path.Combine(run, CheckpointPolicy.LastFile), File.ReadAllBytes(Path.Combine(run, "changed.ckpt"))[..5000]);
        (exit, output, error) = RunCli("train", "FashionVgg", "--data", data, "--epochs", "2", "--out", run, "--resume");
        Assert.Equal(2, exit);
        Assert.Contains("truncated checkpoint", error);
        Assert.DoesNotContain("resuming", output);
    }

    [Fact]
    public void Cli_resume_with_a_changed_flag_names_it_and_takes_it_with_change_options()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data"), run = dir.File("run");
        WriteBands(data, train: 32, test: 8);
        string[] first = { "train", "FashionVgg", "--data", data, "--epochs", "1", "--batch-size", "16", "--validation", "0", "--lr", "0.05", "--no-test", "--out", run };
        var (exit, output, error) = RunCli(first);
        Assert.True(exit == 0, error + output);

        (exit, output, error) = RunCli("train", "FashionVgg", "--data", data, "--epochs", "2", "--no-test", "--out", run, "--resume", "--lr", "0.01");
        Assert.Equal(2, exit);
        Assert.Contains("--lr 0.01 (checkpoint: 0.05)", error);
        Assert.DoesNotContain("resuming", output);

        (exit, output, error) = RunCli("train", "FashionVgg", "--data", data, "--epochs", "2", "--no-test", "--out", run, "--resume", "--lr", "0.01", "--change-options");
        Assert.True(exit == 0, error + output);
        Assert.Contains("changed: LearningRate 0.05 -> 0.01", output);
        var meta = Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.LastFile));
        Assert.Equal(2, meta.Epoch);
        Assert.Equal(0.01, meta.Options.LearningRate);
        Assert.Equal(new OptionChange("LearningRate", "0.05", "0.01", 1), Assert.Single(meta.OptionChanges));
        Assert.Equal(16, meta.Options.BatchSize);   // not given on resume: the checkpoint's
    }

    [Fact]
    public void Two_cli_runs_with_the_same_seed_give_the_same_numbers()
    {
        using var dir = new TempDirectory();
        string data = dir.File("data");
        WriteBands(data, train: 48, test: 8);
        var histories = new List<IReadOnlyList<EpochRecord>>();
        foreach (var run in new[] { "a", "b" })
        {
            var (exit, output, error) = RunCli("train", "FashionVgg", "--data", data, "--epochs", "2", "--batch-size", "16", "--validation", "0.25",
                "--flip", "--no-test", "--out", dir.File(run), "--seed", "7");
            Assert.True(exit == 0, error + output);
            histories.Add(Checkpoint.ReadMeta(Path.Combine(dir.File(run), CheckpointPolicy.LastFile)).History);
        }
        Assert.Equal(histories[0].Select(h => (h.TrainLoss, h.ValidationLoss)), histories[1].Select(h => (h.TrainLoss, h.ValidationLoss)));
    }
}
