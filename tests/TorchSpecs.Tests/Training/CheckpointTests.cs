using TorchSharp;
using TorchSpecs.Data;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

public class CheckpointTests
{
    private static CheckpointMeta Meta(int epoch) => new()
    {
        Model = TinyQuadrants.Info.Name, Input = TinyQuadrants.Info.Input.ToString(), Epoch = epoch, Options = new TrainOptions(),
        DataSet = "quadrants", Classes = new[] { "a", "b", "c", "d" }, Normalization = new Normalization(new[] { 0.5f }, new[] { 0.25f }),
        Schedule = new ScheduleState(1, double.PositiveInfinity, 0), History = Array.Empty<EpochRecord>(),
    };

    private static (nn.Module<Tensor, Tensor> Model, TorchSharp.Modules.OptimizerHelper Optimizer) Build(long seed)
    {
        torch.manual_seed(seed);
        var model = TinyQuadrants.Info.Create();
        return (model, Trainer.CreateOptimizer(model, new TrainOptions()));
    }

    [Fact]
    public void Round_trip_restores_weights_and_metadata()
    {
        using var dir = new TempDirectory();
        var (model, optimizer) = Build(1);
        Checkpoint.Save(dir.File("c.ckpt"), Meta(3), model, optimizer);
        var (other, otherOptimizer) = Build(2);
        Assert.False(other.state_dict()["fc.weight"].allclose(model.state_dict()["fc.weight"]));
        var meta = Checkpoint.Load(dir.File("c.ckpt"), TinyQuadrants.Info, other, otherOptimizer);
        Assert.Equal(3, meta.Epoch);
        Assert.Equal(0.25f, meta.Normalization!.Std[0]);
        Assert.True(double.IsPositiveInfinity(meta.Schedule.Best));
        foreach (var (key, tensor) in model.state_dict())
            Assert.True(tensor.allclose(other.state_dict()[key]), key);
    }

    [Fact]
    public void A_save_interrupted_mid_write_leaves_the_previous_checkpoint_loadable()
    {
        using var dir = new TempDirectory();
        var (model, optimizer) = Build(1);
        string path = dir.File("last.ckpt");
        Checkpoint.Save(path, Meta(1), model, optimizer);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(before.AsSpan(0, before.Length / 2));
            throw new IOException("disk full (simulated)");
        }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "last.ckpt" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        var (other, _) = Build(2);
        Assert.Equal(1, Checkpoint.Load(path, TinyQuadrants.Info, other).Epoch);
    }

    [Fact]
    public void Truncated_checkpoint_gives_one_line_naming_the_file()
    {
        using var dir = new TempDirectory();
        var (model, optimizer) = Build(1);
        string path = dir.File("last.ckpt");
        Checkpoint.Save(path, Meta(1), model, optimizer);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^100]);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, TinyQuadrants.Info, Build(2).Model));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Corrupt_or_foreign_files_are_refused()
    {
        using var dir = new TempDirectory();
        var (model, optimizer) = Build(1);
        string path = dir.File("c.ckpt");
        Checkpoint.Save(path, Meta(1), model, optimizer);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("SHA-256", Assert.Throws<CheckpointException>(() => Checkpoint.ReadMeta(path)).Message);

        string foreign = dir.File("weights.dat");
        model.save(foreign);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.ReadMeta(foreign));
        Assert.Contains(foreign, e.Message);
        Assert.Contains("not a TorchSpecs checkpoint", e.Message);

        Assert.Contains("not found", Assert.Throws<CheckpointException>(() => Checkpoint.ReadMeta(dir.File("none.ckpt"))).Message);
    }

    [Fact]
    public void Checkpoint_of_another_model_is_refused()
    {
        using var dir = new TempDirectory();
        var (model, optimizer) = Build(1);
        string path = dir.File("c.ckpt");
        Checkpoint.Save(path, Meta(1) with { Model = "FashionVgg" }, model, optimizer);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, TinyQuadrants.Info, Build(2).Model));
        Assert.Contains("FashionVgg", e.Message);
    }
}
