using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

public class TrainerTests
{
    internal static readonly TrainOptions Quick = new()
    {
        Epochs = 3, BatchSize = 32, LearningRate = 0.05, Schedule = ScheduleKind.OneCycle, ValidationFraction = 0.2, Seed = 5,
    };

    internal sealed class Counter : ITrainingObserver
    {
        public int Batches, Epochs;
        public TrainingPlan? Plan;
        public List<string> Messages { get; } = new();
        public void RunStarting(TrainingPlan plan) => Plan = plan;
        public void BatchDone(BatchProgress progress) => Batches++;
        public void EpochDone(EpochRecord record, bool improved) => Epochs++;
        public void Message(string text) => Messages.Add(text);
    }

    /// <summary>A trainer of a freshly built TinyQuadrants, seeded, writing into <paramref name="directory"/> (none: no files).</summary>
    internal static Trainer Tiny(TrainOptions options, string? directory, out nn.Module<Tensor, Tensor> model, ITrainingObserver? observer = null)
    {
        torch.manual_seed(options.Seed);
        model = TinyQuadrants.Info.Create();
        return new Trainer(model, options, torch.CPU)
        {
            Spec = TinyQuadrants.Info,
            Checkpoints = directory is null ? null : new CheckpointPolicy(directory),
            Observer = observer,
        };
    }

    [Fact]
    public void Learns_a_small_synthetic_task_well_above_chance()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(640, seed: 1);
        using var test = SyntheticData.Quadrants(200, seed: 2);
        var counter = new Counter();
        var trainer = Tiny(Quick, dir.Path, out var model, counter);
        using var _ = model;
        var run = trainer.Fit(data);

        Assert.Equal(3, counter.Epochs);
        Assert.Equal(3 * 16, counter.Batches); // 512 training images, batches of 32
        Assert.Equal(128, counter.Plan!.ValidationImages);
        var transform = new BatchTransform(TinyQuadrants.Info.Input, FitMode.Resize, run.Normalization!);
        var (_, accuracy) = Trainer.Measure(model, test, transform);
        Assert.True(accuracy > 0.8, $"test accuracy {accuracy} (chance is 0.25)");
        Assert.True(run.History[^1].TrainLoss < run.History[0].TrainLoss);
        Assert.True(File.Exists(run.LastCheckpoint));
        Assert.True(File.Exists(run.BestCheckpoint));
        var log = File.ReadAllLines(run.LogFile!);
        Assert.Equal(4, log.Length);
        Assert.StartsWith("epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy", log[0]);
    }

    [Fact]
    public void Without_a_checkpoint_policy_no_file_is_written()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(64, seed: 3);
        string before = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = dir.Path;
            var trainer = Tiny(Quick with { Epochs = 1 }, null, out var model);
            using var _ = model;
            var run = trainer.Fit(data);
            Assert.Null(run.LastCheckpoint);
            Assert.Null(run.LogFile);
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
        }
        finally
        {
            Environment.CurrentDirectory = before;
        }
    }

    [Fact]
    public void Fine_tuning_is_build_load_weights_train()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(512, seed: 11);
        using var test = SyntheticData.Quadrants(200, seed: 12);
        // A model trained elsewhere, saved as a weights file.
        var pre = Tiny(Quick with { Epochs = 4 }, null, out var pretrained);
        using (pretrained)
        {
            pre.Fit(data);
            ModelWeights.Save(pretrained, TinyQuadrants.Info, dir.File("pretrained.dat"));
        }

        // Build, LoadWeights, train: the trainer starts from the loaded weights, not the spec's initializers.
        torch.manual_seed(99);
        using var model = TinyQuadrants.Info.Create();
        ModelWeights.Load(model, TinyQuadrants.Info, dir.File("pretrained.dat"));
        var loaded = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var options = Quick with { Epochs = 1, LearningRate = 1e-3, Schedule = ScheduleKind.Constant, ValidationFraction = 0 };
        var run = new Trainer(model, options) { Spec = TinyQuadrants.Info }.Fit(data);

        // Its first epoch is already as good as the pretrained model (a fresh one is near chance after
        // one epoch at this rate), and the weights moved only a little from the loaded ones.
        Assert.True(run.History[0].TrainAccuracy > 0.8, $"first fine-tuning epoch: accuracy {run.History[0].TrainAccuracy}");
        var transform = new BatchTransform(TinyQuadrants.Info.Input, FitMode.Resize, run.Normalization!);
        Assert.True(Trainer.Measure(model, test, transform).Accuracy > 0.8);
        var now = model.state_dict();
        Assert.False(now["fc.weight"].allclose(loaded["fc.weight"]));
        Assert.True(now["fc.weight"].allclose(loaded["fc.weight"], rtol: 0, atol: 0.05), "fine-tuning started from the loaded weights");

        var fresh = Tiny(options, null, out var freshModel);
        using (freshModel)
            Assert.True(fresh.Fit(data).History[0].TrainAccuracy < run.History[0].TrainAccuracy - 0.2);
    }

    [Fact]
    public void A_hand_written_module_trains_too()
    {
        using var data = SyntheticData.Quadrants(256, seed: 13);
        torch.manual_seed(1);
        using var model = nn.Sequential(
            ("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(2)),
            ("flat", nn.Flatten()), ("fc", nn.Linear(64, 4)));
        var counter = new Counter();
        var run = new Trainer(model, Quick with { Epochs = 3, LearningRate = 0.1 }) { Observer = counter }.Fit(data);
        Assert.Equal(3, counter.Epochs);
        Assert.Equal("8x8x1", run.Meta.Input);
        Assert.Null(run.Meta.Spec);
        Assert.True(run.History[^1].ValidationAccuracy > 0.6, $"validation accuracy {run.History[^1].ValidationAccuracy}");
    }

    private sealed class QuadrantsDataset(TensorImageDataSet source) : torch.utils.data.Dataset
    {
        public override long Count => source.Count;

        public override Dictionary<string, Tensor> GetTensor(long index)
        {
            using var i = torch.tensor(new[] { index });
            using var image = source.Images(i);
            return new Dictionary<string, Tensor>
            {
                ["data"] = image[0].sub(0.3).div(0.3),
                ["label"] = source.Labels[index].clone(),
            };
        }
    }

    [Fact]
    public void Trains_from_a_TorchSharp_data_loader()
    {
        using var data = SyntheticData.Quadrants(256, seed: 14);
        using var dataset = new QuadrantsDataset(data);
        using var loader = torch.utils.data.DataLoader(dataset, 32, shuffle: true, seed: 3);
        var trainer = Tiny(Quick with { Epochs = 3, ValidationFraction = 0 }, null, out var model);
        using var _ = model;
        var run = trainer.Fit(loader, null, data.Classes);
        Assert.Equal(3, run.History.Count);
        Assert.Null(run.Normalization);
        Assert.True(run.History[^1].TrainAccuracy > 0.8, $"training accuracy {run.History[^1].TrainAccuracy}");
    }

    [Fact]
    public void Resumed_run_continues_exactly_like_an_uninterrupted_one()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(256, seed: 3);
        var options = Quick with { Epochs = 2, Schedule = ScheduleKind.Step, StepSize = 1, Gamma = 0.5, Augmentation = new Augmentation(true, 1), EmaDecay = 0.9 };

        var straight = Tiny(options, Path.Combine(dir.Path, "a"), out var a);
        using var _a = a;
        var whole = straight.Fit(data);
        var first = Tiny(options with { Epochs = 1 }, Path.Combine(dir.Path, "b"), out var b1);
        using (b1) first.Fit(data);
        var second = Tiny(options, Path.Combine(dir.Path, "b"), out var b);
        using var _b = b;
        second.Resume(Path.Combine(dir.Path, "b", CheckpointPolicy.LastFile));
        var resumed = second.Fit(data);

        Assert.Equal(2, resumed.Meta.Epoch);
        Assert.Equal(whole.History.Count, resumed.History.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(whole.History[i].TrainLoss, resumed.History[i].TrainLoss, 5);
            Assert.Equal(whole.History[i].ValidationAccuracy, resumed.History[i].ValidationAccuracy);
        }
        foreach (var (key, tensor) in a.state_dict())
            Assert.True(tensor.allclose(b.state_dict()[key], rtol: 1e-4, atol: 1e-6), $"{key} differs after resuming");
        // and the run did move: the weights are not the initial ones
        using var fresh = TinyQuadrants.Info.Create();
        Assert.False(fresh.state_dict()["conv1.weight"].allclose(b.state_dict()["conv1.weight"]));
    }

    [Fact]
    public void Resume_with_changed_options_is_an_error_naming_them_unless_allowed_then_recorded()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(128, seed: 3);
        var first = Tiny(Quick with { Epochs = 1 }, dir.Path, out var m1);
        using (m1) first.Fit(data);
        string last = Path.Combine(dir.Path, CheckpointPolicy.LastFile);

        var changed = Quick with { Epochs = 2, LearningRate = 0.01, WeightDecay = 0 };
        var refused = Tiny(changed, dir.Path, out var m2);
        using (m2)
        {
            var e = Assert.Throws<ResumeOptionsException>(() => refused.Resume(last));
            Assert.Equal(new[] { "LearningRate", "WeightDecay" }, e.Changes.Select(c => c.Property));
            Assert.Contains("LearningRate 0.05 -> 0.01", e.Message);
            Assert.Contains(last, e.Message);
        }

        var allowed = Tiny(changed, dir.Path, out var m3);
        using (m3)
        {
            allowed.Resume(last, allowChanges: new[] { "LearningRate", "WeightDecay" });
            var run = allowed.Fit(data);
            Assert.Equal(2, run.Meta.Epoch);
            Assert.Equal(0.01, run.Meta.Options.LearningRate);
            Assert.Contains(new OptionChange("LearningRate", "0.05", "0.01", AfterEpoch: 1), run.Meta.OptionChanges);
            Assert.Contains(run.Meta.OptionChanges, c => c.Property == "WeightDecay");
            Assert.Equal(run.Meta.OptionChanges, Checkpoint.ReadMeta(last).OptionChanges);
        }

        // Epochs alone is the total to reach, never a change.
        var longer = Tiny(changed with { Epochs = 3 }, dir.Path, out var m4);
        using (m4) Assert.Equal(2, longer.Resume(last).Epoch);
    }

    [Fact]
    public void Resume_refuses_a_checkpoint_of_another_model()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(64, seed: 3);
        var first = Tiny(Quick with { Epochs = 1 }, dir.Path, out var m);
        using (m) first.Fit(data);
        var other = new ModelInfo("OtherModel", null, null, "x.yaml", TinyQuadrants.Info.Input, TinyQuadrants.Info.Layers, TinyQuadrants.Info.Create);
        using var module = other.Create();
        var trainer = new Trainer(module, Quick) { Spec = other };
        var e = Assert.Throws<CheckpointException>(() => trainer.Resume(Path.Combine(dir.Path, CheckpointPolicy.LastFile)));
        Assert.Contains("TinyQuadrants", e.Message);
        Assert.Contains(CheckpointPolicy.LastFile, e.Message);
    }

    [Fact]
    public void Early_stopping_ends_the_run_when_validation_stalls()
    {
        using var data = SyntheticData.Quadrants(96, seed: 4);
        // A learning rate this small cannot improve validation accuracy for long.
        var options = Quick with { Epochs = 30, LearningRate = 1e-7, Schedule = ScheduleKind.Constant, EarlyStoppingPatience = 2 };
        var trainer = Tiny(options, null, out var m);
        using var _ = m;
        var run = trainer.Fit(data);
        Assert.True(run.Meta.Epoch < 30, $"ran all {run.Meta.Epoch} epochs");
        Assert.True(run.Meta.Stopped);
    }

    [Fact]
    public void Invalid_options_are_refused_naming_the_property()
    {
        using var model = TinyQuadrants.Info.Create();
        var e = Assert.Throws<ArgumentException>(() => new Trainer(model, Quick with { ValidationFraction = 0, Schedule = ScheduleKind.Plateau }));
        Assert.Contains("Schedule", e.Message);
        Assert.Equal("EmaDecay", (Quick with { EmaDecay = 1.5 }).Validate()!.Property);
    }

    [Fact]
    public void Weight_average_and_flip_evaluation_change_what_is_measured()
    {
        using var data = SyntheticData.Quadrants(256, seed: 15);
        var trainer = Tiny(Quick with { Epochs = 2, EmaDecay = 0.99, TestTimeFlip = true }, null, out var model);
        using var _ = model;
        var run = trainer.Fit(data);
        // The flip average of a mirror-symmetric input equals the plain logits; of a quadrant image it does not.
        var transform = new BatchTransform(TinyQuadrants.Info.Input, FitMode.Resize, run.Normalization!);
        using var x = transform.Apply(data, torch.arange(4L));
        using (torch.no_grad())
        {
            model.eval();
            using var plain = Trainer.Logits(model, x, false);
            using var flipped = Trainer.Logits(model, x, true);
            using var mirrored = model.call(x.flip(3));
            Assert.True(flipped.allclose(plain.add(mirrored).div(2), rtol: 1e-4, atol: 1e-5));
            Assert.False(flipped.allclose(plain));
        }
        Assert.True(run.History[^1].ValidationAccuracy > 0.5);
    }
}
