using TorchSpecs.Data;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

/// <summary>bfloat16 training with float32 master weights (<see cref="TrainingPrecision.BFloat16"/>).</summary>
public class MixedPrecisionTests
{
    private static readonly TrainOptions Mixed = TrainerTests.Quick with { Precision = TrainingPrecision.BFloat16 };

    [Fact]
    public void Learns_like_float32_and_leaves_a_float32_model_holding_unrounded_weights()
    {
        using var data = SyntheticData.Quadrants(640, seed: 1);
        using var test = SyntheticData.Quadrants(200, seed: 2);
        var run = TrainerTests.Tiny(Mixed, null, out var model).Fit(data);
        using var _ = model;

        foreach (var (key, t) in model.state_dict())
            Assert.True(key.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? t.dtype == ScalarType.Int64 : t.dtype == ScalarType.Float32,
                $"{key} is {t.dtype} after training");
        // 3 epochs of 16 steps: batch norm counted every one of them, in int64.
        Assert.Equal(48, model.state_dict()["bn1.num_batches_tracked"].item<long>());
        // The weights are the float32 masters, not their bfloat16 roundings.
        using var w = model.state_dict()["conv1.weight"];
        using var rounded = w.to(ScalarType.BFloat16).to(ScalarType.Float32);
        Assert.False(w.eq(rounded).all().item<bool>(), "conv1.weight holds only bfloat16 values: the float32 masters were lost");

        var transform = new BatchTransform(TinyQuadrants.Info.Input, FitMode.Resize, run.Normalization!);
        var (_, accuracy) = Trainer.Measure(model, test, transform);
        Assert.True(accuracy > 0.8, $"test accuracy {accuracy} (chance is 0.25)");
        Assert.True(run.History[^1].TrainLoss < run.History[0].TrainLoss);

        // The same run in float32 ends close by: the steps differ only by bfloat16 rounding.
        var reference = TrainerTests.Tiny(TrainerTests.Quick, null, out var float32).Fit(data);
        using var __ = float32;
        Assert.InRange(run.History[^1].TrainLoss, reference.History[^1].TrainLoss * 0.8, reference.History[^1].TrainLoss * 1.25);
    }

    [Fact]
    public void Frozen_parameters_stay_as_they_are()
    {
        using var data = SyntheticData.Quadrants(128, seed: 3);
        manual_seed(5);
        using var model = TinyQuadrants.Info.Create();
        var conv = model.named_parameters().Single(p => p.name == "conv1.weight").parameter;
        conv.requires_grad = false;
        using var before = conv.detach().clone();
        new Trainer(model, Mixed with { Epochs = 1 }, CPU) { Spec = TinyQuadrants.Info }.Fit(data);

        Assert.True(model.state_dict()["conv1.weight"].eq(before).all().item<bool>(), "a frozen weight moved (weight decay or a rounding copy touched it)");
        Assert.False(model.named_parameters().Single(p => p.name == "conv1.weight").parameter.requires_grad, "training unfroze conv1.weight");
        Assert.False(model.state_dict()["fc.weight"].eq(TinyFresh()["fc.weight"]).all().item<bool>(), "the trainable dense layer did not move");
    }

    [Fact]
    public void Checkpoints_hold_float32_weights_and_resume_in_either_precision_only_on_purpose()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(128, seed: 3);
        var first = TrainerTests.Tiny(Mixed with { Epochs = 1, EmaDecay = 0.9 }, dir.Path, out var m1);
        using (m1) first.Fit(data);
        string last = Path.Combine(dir.Path, CheckpointPolicy.LastFile);

        using var loaded = TinyQuadrants.Info.Create();
        Checkpoint.Load(last, TinyQuadrants.Info, loaded);
        Assert.All(loaded.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));

        var resumed = TrainerTests.Tiny(Mixed with { Epochs = 2, EmaDecay = 0.9 }, dir.Path, out var m2);
        using (m2)
        {
            resumed.Resume(last);
            var run = resumed.Fit(data);
            Assert.Equal(2, run.Meta.Epoch);
            Assert.Equal(TrainingPrecision.BFloat16, run.Meta.Options.Precision);
        }

        var other = TrainerTests.Tiny(TrainerTests.Quick with { Epochs = 3, EmaDecay = 0.9 }, dir.Path, out var m3);
        using (m3)
        {
            var e = Assert.Throws<ResumeOptionsException>(() => other.Resume(last));
            Assert.Equal("Precision BFloat16 -> Float32", Assert.Single(e.Changes).ToString());
            other.Resume(last, allowChanges: new[] { nameof(TrainOptions.Precision) });
            Assert.Equal(3, other.Fit(data).Meta.Epoch);
        }
    }

    [Fact]
    public void A_loop_of_ones_own_trains_through_the_masters_and_ends_in_float32()
    {
        manual_seed(7);
        using var model = TinyQuadrants.Info.Create();
        using var data = SyntheticData.Quadrants(64, seed: 4);
        using var x = data.RawImages.to(ScalarType.Float32).div(255).sub(0.5);
        var y = data.Labels;
        using var mixed = new MixedPrecision(model);
        var sgd = new TorchSpecs.Training.SGD(mixed.Masters, learningRate: 0.1, momentum: 0.9);
        var step = new TrainingStep(model, sgd, mixed);
        var losses = new List<float>();
        using (mixed.Compute())
        {
            Assert.Equal(ScalarType.BFloat16, model.named_parameters().Single(p => p.name == "conv1.weight").parameter.dtype);
            Assert.Equal(ScalarType.Float32, model.named_parameters().Single(p => p.name == "bn1.weight").parameter.dtype);
            for (int i = 0; i < 20; i++)
            {
                using var scope = NewDisposeScope();
                step.ZeroGradients();
                var loss = nn.functional.cross_entropy(step.Forward(x), y);
                Assert.Equal(ScalarType.Float32, loss.dtype);
                loss.backward();
                step.Update();
                losses.Add(loss.item<float>());
            }
        }
        Assert.True(losses[^1] < losses[0] * 0.5, $"loss {losses[0]} -> {losses[^1]}");
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var masters = mixed.Named;
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.eq(masters[name]).all().item<bool>(), $"{name} is not the master's value");
    }

    private static Dictionary<string, Tensor> TinyFresh()
    {
        manual_seed(5);
        using var fresh = TinyQuadrants.Info.Create();
        return fresh.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }
}
