using System.Collections;
using TorchSharp;
using TorchSpecs.Cli;
using TorchSpecs.Data;
using TorchSpecs.Interop;
using TorchSpecs.Tests.Snapshots;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Tests.Training;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Interop;

/// <summary>
/// `train --resume --from` a PyTorch checkpoint that scripts/train_ddp.py wrote under torchrun:
/// against Fixtures/tiny_fashion_ddp.pth (TinyFashion, one epoch of 2 gloo ranks on 2,048
/// Fashion-MNIST images, made by Fixtures/make_ddp_checkpoint.sh), so CI needs no PyTorch.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class PyTorchResumeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Fixture => PythonTool.Fixture("tiny_fashion_ddp.pth");

    [Fact]
    public void TheFixturesModuleIsTheExportersOutput()
    {
        // make_ddp_checkpoint.sh trains Fixtures/tiny_fashion.py: it must be what `export --format pytorch` writes today.
        string fresh = File.ReadAllText(PyTorchExporter.Export(TinyFashion.Info, _dir.Path));
        string committed = PythonTool.Fixture("tiny_fashion.py");
        if (File.ReadAllText(committed) != fresh)
        {
            File.WriteAllText(committed + ".received.txt", fresh);
            Assert.Fail($"{committed} is not PyTorchExporter's output for TinyFashion; the new export is in {committed}.received.txt: move it over, then run make_ddp_checkpoint.sh beside it");
        }
    }

    [Fact]
    public void TheCheckpointReadsAsTheScriptsRun()
    {
        var meta = PyTorchCheckpoint.ReadMeta(Fixture, TinyFashion.Info);
        Assert.Equal("TinyFashion", meta.Model);
        Assert.Equal("fashion-mnist", meta.DataSet);
        Assert.Equal(DataSets.FashionMnistClasses, meta.Classes);
        Assert.Equal(1, meta.Epoch);
        var record = Assert.Single(meta.History);
        Assert.Equal(1, record.Epoch);
        Assert.InRange(record.TrainLoss, 0.05, 2.3);
        Assert.Null(record.ValidationAccuracy);
        // make_ddp_checkpoint.sh: 2 ranks x --batch-size 32, --lr 0.05, --limit 2048, --epochs 3, seed 42.
        Assert.Equal(new TrainOptions
        {
            Epochs = 3, BatchSize = 64, LearningRate = 0.05, Momentum = 0.9, Nesterov = true, WeightDecay = 5e-4, Schedule = ScheduleKind.OneCycle,
            ValidationFraction = 0, Seed = 42, Limit = 2048,
        }, meta.Options);
        var normalization = meta.Normalization!;
        Assert.InRange(Assert.Single(normalization.Mean), 0.2, 0.4);   // Fashion-MNIST: 0.286 over the whole set
        Assert.InRange(Assert.Single(normalization.Std), 0.25, 0.45);
        Assert.Equal(1, meta.BestEpoch);
        Assert.Equal(record.TrainAccuracy, meta.BestAccuracy);
    }

    [Fact]
    public void WeightsAndMomentumBuffersGoToTheParametersOfTheirNames()
    {
        using var model = TinyFashion.Info.Create();
        using var optimizer = Trainer.CreateOptimizer(model, new TrainOptions());
        using (var checkpoint = PyTorchCheckpoint.Read(Fixture, TinyFashion.Info))
        {
            Assert.Equal(2, checkpoint.WorldSize);
            Assert.Equal(32, checkpoint.StepsPerEpoch);
            checkpoint.LoadInto(model, optimizer);
        }

        // The file read independently: PyTorch's state_dict by name, the buffers by index in parameters() order.
        var root = WeightsFile.ReadPickleDict(Fixture);
        try
        {
            var stateDict = (Hashtable)root["state_dict"]!;
            foreach (var (key, tensor) in model.state_dict())
                Assert.True(torch.allclose(tensor, (Tensor)stateDict[key]!, rtol: 0, atol: 0), $"weight {key}");
            var names = ((IList)root["param_names"]!).Cast<string>().ToArray();
            var state = (Hashtable)((Hashtable)root["optimizer"]!)["state"]!;
            var slots = ((TorchSharp.Modules.SGD)optimizer).state_dict().State;
            var parameters = model.named_parameters().ToArray();
            Assert.Equal(parameters.Select(p => p.name), names);
            Assert.Equal(parameters.Length, slots.Count);
            for (int i = 0; i < parameters.Length; i++)
            {
                var expected = (Tensor)((Hashtable)state[i]!)["momentum_buffer"]!;
                var loaded = ((TorchSharp.Modules.SGD.State)slots[i]).momentum_buffer;
                Assert.NotNull(loaded);
                Assert.Equal(parameters[i].parameter.shape, loaded.shape);
                Assert.True(torch.allclose(loaded, expected, rtol: 0, atol: 0), $"momentum buffer {i} ({names[i]})");
                Assert.True(expected.abs().sum().item<float>() > 0, $"momentum buffer {i} is all zero: the fixture's run took no steps?");
            }
        }
        finally
        {
            WeightsFile.DisposeAll(root);
        }
    }

    [Fact]
    public void TheNextSgdStepEqualsPyTorchsFromTheSameCheckpoint()
    {
        // Fixtures/step_from_checkpoint.py: PyTorch's step from the checkpoint's weights and momentum buffers, lr 0.01, on a fixed batch.
        var options = PyTorchCheckpoint.ReadMeta(Fixture, TinyFashion.Info).Options;
        using var x = NpyFile.Read(PythonTool.Fixture("tiny_fashion_step_input.npy"));
        using var labels = NpyFile.Read(PythonTool.Fixture("tiny_fashion_step_labels.npy"));
        using var y = labels.to_type(ScalarType.Int64);
        using var expected = WeightsFile.Read(PythonTool.Fixture("tiny_fashion_ddp_step.pth"));

        double Step(bool withMomentum)
        {
            using var scope = torch.NewDisposeScope();
            var model = TinyFashion.Info.Create();
            var optimizer = Trainer.CreateOptimizer(model, options);
            using (var checkpoint = PyTorchCheckpoint.Read(Fixture, TinyFashion.Info))
                checkpoint.LoadInto(model, withMomentum ? optimizer : null);
            optimizer.ParamGroups.First().LearningRate = 0.01;
            model.train();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            var state = model.state_dict();
            Assert.Equal(expected.Tensors.Select(t => t.Key).Order(), state.Keys.Order());
            double worst = expected.Tensors.Max(t => (state[t.Key].to_type(ScalarType.Float64) - t.Value.to_type(ScalarType.Float64)).abs().max().item<double>());
            optimizer.Dispose();
            model.Dispose();
            return worst;
        }

        double difference = Step(withMomentum: true);
        Assert.True(difference <= 1e-6, $"max abs difference {difference:E2} from PyTorch's step");
        // The buffers matter: the same step without them (a fresh SGD) lands elsewhere.
        double without = Step(withMomentum: false);
        Assert.True(without > 1e-4, $"without the momentum buffers the step differs by only {without:E2}: the test could not tell");
    }

    [Fact]
    public void AnOptimizerThatDoesNotFitIsRefusedBeforeAnyWeightIsCopied()
    {
        using var model = TinyFashion.Info.Create();
        var before = model.state_dict().ToDictionary(e => e.Key, e => e.Value.clone());
        // An SGD over all parameters but the first: buffer i would go to the wrong parameter.
        using var optimizer = torch.optim.SGD(model.parameters().Skip(1), learningRate: 0.01, momentum: 0.9);
        using var checkpoint = PyTorchCheckpoint.Read(Fixture, TinyFashion.Info);
        var e = Assert.Throws<CheckpointException>(() => checkpoint.LoadInto(model, optimizer));
        Assert.Equal($"{Fixture}: the optimizer state is for 7 parameters; TinyFashion's optimizer has 6", e.Message);
        foreach (var (key, tensor) in model.state_dict())
            Assert.True(torch.allclose(tensor, before[key], rtol: 0, atol: 0), $"{key} changed");
        foreach (var t in before.Values) t.Dispose();
    }

    [Fact]
    public void TrainResumesItAndTrainsOneMoreEpoch()
    {
        // Real Fashion-MNIST where installed (the checkpoint's --limit 2048 keeps it small), else Fashion-MNIST-format bands.
        bool real = File.Exists(Path.Combine(DataSets.FashionMnistDirectory, "train-images-idx3-ubyte.gz"));
        string data = real ? DataSets.FashionMnistDirectory : _dir.File("data");
        if (!real) CheckpointSafetyTests.WriteBands(data, train: 256, test: 40);
        string from = _dir.File("tiny_fashion_ddp.pth"), run = _dir.File("run");
        File.Copy(Fixture, from);
        var fixture = PyTorchCheckpoint.ReadMeta(from, TinyFashion.Info);

        var (code, output, error) = CliRunner.Run(TrainVerbs.Train(new[] { TinyFashion.Info }), "TinyFashion", "--resume", "--from", from, "--epochs", "2",
            "--data", data, "--out", run);
        Assert.True(code == 0, error + output);
        Assert.Contains($"resuming TinyFashion from {from} after epoch 1", output);
        Assert.Contains("a PyTorch checkpoint of scripts/train_ddp.py", output);

        var last = Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.LastFile));
        Assert.Equal(2, last.Epoch);
        Assert.Equal(2, last.History.Count);
        Assert.Equal(fixture.History[0], last.History[0]);           // PyTorch's epoch, kept
        Assert.Equal(fixture.Options with { Epochs = 2 }, last.Options);
        Assert.Empty(last.OptionChanges);
        Assert.Equal(fixture.Normalization, last.Normalization);
        Assert.NotNull(last.Spec);                                   // the .NET checkpoints record the table from here on
        if (real)
        {
            var line = output.Split('\n').Single(l => l.StartsWith("test accuracy: ", StringComparison.Ordinal));
            double accuracy = double.Parse(line["test accuracy: ".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(accuracy > 0.5, $"test accuracy {accuracy} after PyTorch's epoch and one .NET epoch (chance 0.1)");
        }
    }

    [Fact]
    public void OptionsThatDifferAreRefusedNamingThemUnlessChanged()
    {
        string data = _dir.File("data"), run = _dir.File("run");
        CheckpointSafetyTests.WriteBands(data, train: 64, test: 8);
        var (code, _, error) = CliRunner.Run(TrainVerbs.Train(new[] { TinyFashion.Info }), "TinyFashion", "--resume", "--from", Fixture, "--epochs", "2",
            "--data", data, "--out", run, "--no-test", "--lr", "0.1");
        Assert.Equal(2, code);
        Assert.Contains($"{Fixture}: options differ from the checkpoint's: --lr 0.1 (checkpoint: 0.05)", error);
        Assert.Contains("--change-options", error);

        (code, var output, error) = CliRunner.Run(TrainVerbs.Train(new[] { TinyFashion.Info }), "TinyFashion", "--resume", "--from", Fixture, "--epochs", "2",
            "--data", data, "--out", run, "--no-test", "--lr", "0.1", "--change-options");
        Assert.True(code == 0, error + output);
        var change = Assert.Single(Checkpoint.ReadMeta(Path.Combine(run, CheckpointPolicy.LastFile)).OptionChanges);
        Assert.Equal(new OptionChange("LearningRate", "0.05", "0.1", AfterEpoch: 1), change);
    }

    [Fact]
    public void AMissingEntryIsRefusedNamingTheFileAndTheEntry()
    {
        // make_ddp_checkpoint.sh: the same checkpoint without 'world_size'.
        string incomplete = PythonTool.Fixture("tiny_fashion_ddp_incomplete.pth");
        var e = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(incomplete, TinyFashion.Info));
        Assert.Equal($"{incomplete}: no 'world_size' entry (the number of ranks); scripts/train_ddp.py writes it", e.Message);

        // A checkpoint dict that predict reads but no script of ours wrote: no 'format'.
        string other = PythonTool.Fixture("tiny_alexnet_checkpoint.pth");
        e = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(other, TinyAlexNet.Info));
        Assert.StartsWith($"{other}: no 'format' entry ('torchspecs-train-ddp'); the trainer resumes the PyTorch checkpoints scripts/train_ddp.py writes (this one holds: classes, epoch, state_dict)", e.Message);

        // Plain weights (torch.save(model.state_dict())): nothing to go on from.
        string weights = PythonTool.Fixture("tiny_alexnet.pth");
        e = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(weights, TinyAlexNet.Info));
        Assert.StartsWith($"{weights}: a state dict (weights only, 16 tensors), not a checkpoint of scripts/train_ddp.py", e.Message);

        e = Assert.Throws<CheckpointException>(() => PyTorchCheckpoint.Read(Fixture, TinyQuadrants.Info));
        Assert.Equal($"{Fixture}: a checkpoint of model TinyFashion, not TinyQuadrants", e.Message);

        // Through the trainer and the CLI: exit code 2, one line naming the file.
        using var model = TinyFashion.Info.Create();
        var trainer = new Trainer(model, new TrainOptions { Epochs = 2 }) { Spec = TinyFashion.Info };
        Assert.Throws<CheckpointException>(() => trainer.Resume(incomplete));
        var (code, _, error) = CliRunner.Run(TrainVerbs.Train(new[] { TinyFashion.Info }), "TinyFashion", "--resume", "--from", incomplete, "--epochs", "2", "--out", _dir.File("run"));
        Assert.Equal(2, code);
        Assert.Equal($"error: {incomplete}: no 'world_size' entry (the number of ranks); scripts/train_ddp.py writes it", error.Trim());
    }
}
