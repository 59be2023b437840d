using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

public class TrainerTests
{
    private static readonly TrainOptions Quick = new()
    {
        Epochs = 3, BatchSize = 32, LearningRate = 0.05, Schedule = ScheduleKind.OneCycle, ValidationFraction = 0.2, Seed = 5,
    };

    private sealed class Counter : ITrainingObserver
    {
        public int Batches, Epochs;
        public TrainingPlan? Plan;
        public void RunStarting(TrainingPlan plan) => Plan = plan;
        public void BatchDone(BatchProgress progress) => Batches++;
        public void EpochDone(EpochRecord record, bool improved) => Epochs++;
        public void Message(string text) { }
    }

    [Fact]
    public void Learns_a_small_synthetic_task_well_above_chance()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(640, seed: 1);
        using var test = SyntheticData.Quadrants(200, seed: 2);
        var counter = new Counter();
        using var result = Trainer.Train(TinyQuadrants.Info, data, "quadrants", Quick, dir.Path, observer: counter);

        Assert.Equal(3, counter.Epochs);
        Assert.Equal(3 * 16, counter.Batches); // 512 training images, batches of 32
        Assert.Equal(128, counter.Plan!.ValidationImages);
        var transform = new BatchTransform(TinyQuadrants.Info.Input, FitMode.Resize, result.Meta.Normalization);
        var (_, accuracy) = Trainer.Measure(result.Model, test, transform);
        Assert.True(accuracy > 0.8, $"test accuracy {accuracy} (chance is 0.25)");
        Assert.True(result.Meta.History[^1].TrainLoss < result.Meta.History[0].TrainLoss);
        Assert.True(File.Exists(result.LastCheckpoint));
        Assert.True(File.Exists(result.BestCheckpoint));
        var log = File.ReadAllLines(result.LogFile);
        Assert.Equal(4, log.Length);
        Assert.StartsWith("epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy", log[0]);
    }

    [Fact]
    public void Resumed_run_continues_exactly_like_an_uninterrupted_one()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(256, seed: 3);
        var options = Quick with { Epochs = 2, Schedule = ScheduleKind.Step, StepSize = 1, Gamma = 0.5, Augmentation = new Augmentation(true, 1) };

        using var straight = Trainer.Train(TinyQuadrants.Info, data, "quadrants", options, Path.Combine(dir.Path, "a"));
        using (var first = Trainer.Train(TinyQuadrants.Info, data, "quadrants", options with { Epochs = 1 }, Path.Combine(dir.Path, "b"))) { }
        using var resumed = Trainer.Train(TinyQuadrants.Info, data, "quadrants", options, Path.Combine(dir.Path, "b"),
            resume: Path.Combine(dir.Path, "b", Trainer.LastFile));

        Assert.Equal(2, resumed.Meta.Epoch);
        Assert.Equal(straight.Meta.History.Count, resumed.Meta.History.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(straight.Meta.History[i].TrainLoss, resumed.Meta.History[i].TrainLoss, 5);
            Assert.Equal(straight.Meta.History[i].ValidationAccuracy, resumed.Meta.History[i].ValidationAccuracy);
        }
        var a = straight.Model.state_dict();
        var b = resumed.Model.state_dict();
        foreach (var (key, tensor) in a)
            Assert.True(tensor.allclose(b[key], rtol: 1e-4, atol: 1e-6), $"{key} differs after resuming");
        // and the run did move: the weights are not the initial ones
        using var fresh = TinyQuadrants.Info.Create();
        Assert.False(fresh.state_dict()["conv1.weight"].allclose(b["conv1.weight"]));
    }

    [Fact]
    public void Resume_refuses_a_checkpoint_of_another_model()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(64, seed: 3);
        using (Trainer.Train(TinyQuadrants.Info, data, "quadrants", Quick with { Epochs = 1 }, dir.Path)) { }
        var other = new ModelInfo("OtherModel", null, null, "x.yaml", TinyQuadrants.Info.Input, TinyQuadrants.Info.Layers, TinyQuadrants.Info.Create);
        var e = Assert.Throws<CheckpointException>(() =>
            Trainer.Train(other, data, "quadrants", Quick, dir.Path, resume: Path.Combine(dir.Path, Trainer.LastFile)));
        Assert.Contains("TinyQuadrants", e.Message);
        Assert.Contains(Trainer.LastFile, e.Message);
    }

    [Fact]
    public void Early_stopping_ends_the_run_when_validation_stalls()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(96, seed: 4);
        // A learning rate this small cannot improve validation accuracy for long.
        var options = Quick with { Epochs = 30, LearningRate = 1e-7, Schedule = ScheduleKind.Constant, EarlyStoppingPatience = 2 };
        using var result = Trainer.Train(TinyQuadrants.Info, data, "quadrants", options, dir.Path);
        Assert.True(result.Meta.Epoch < 30, $"ran all {result.Meta.Epoch} epochs");
        Assert.True(result.Meta.Stopped);
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(32, seed: 3);
        var e = Assert.Throws<ArgumentException>(() => Trainer.Train(TinyQuadrants.Info, data, "quadrants", Quick with { ValidationFraction = 0, Schedule = ScheduleKind.Plateau }, dir.Path));
        Assert.Contains("plateau", e.Message);
    }
}
