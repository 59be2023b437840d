using TorchSharp;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

public class DeviceTests
{
    [Theory]
    [InlineData("cpu", 0, "cpu")]
    [InlineData("CPU", 2, "cpu")]
    [InlineData("auto", 0, "cpu")]
    [InlineData("auto", 2, "cuda:0")]
    [InlineData("cuda", 1, "cuda:0")]
    [InlineData("cuda:1", 2, "cuda:1")]
    public void Names_select_the_device(string name, int cudaDevices, string expected) =>
        Assert.Equal(expected, DeviceSelection.Describe(DeviceSelection.Parse(name, cudaDevices)));

    [Theory]
    [InlineData("cuda", 0, "CUDA is not available here")]
    [InlineData("cuda:0", 0, "CUDA is not available here")]
    [InlineData("cuda:2", 2, "there are 2 CUDA devices (cuda:0 to cuda:1)")]
    [InlineData("cuda:1", 1, "there is 1 CUDA device (cuda:0)")]
    [InlineData("gpu", 1, "expected cpu, cuda, cuda:N or auto")]
    [InlineData("cuda:x", 1, "expected cpu, cuda, cuda:N or auto")]
    [InlineData("", 1, "expected cpu, cuda, cuda:N or auto")]
    public void A_device_that_is_not_there_is_a_clear_error(string name, int cudaDevices, string expected)
    {
        var e = Assert.Throws<DeviceSelectionException>(() => DeviceSelection.Parse(name, cudaDevices));
        Assert.Contains(expected, e.Message);
        Assert.Contains($"'{name}'", e.Message);
    }

    [Fact]
    public void This_machine_without_CUDA_refuses_cuda_and_picks_the_cpu_for_auto()
    {
        if (DeviceSelection.CudaDevices() > 0) return;   // the CUDA test below covers such machines
        Assert.Contains("not available", Assert.Throws<DeviceSelectionException>(() => DeviceSelection.Parse("cuda")).Message);
        Assert.Equal(DeviceType.CPU, DeviceSelection.Parse("auto").type);
    }

    [SkippableFact]
    public void Trains_evaluates_and_checkpoints_on_CUDA_where_there_is_a_device()
    {
        Skip.If(DeviceSelection.CudaDevices() == 0,
            "no CUDA device here (a CPU-only libtorch, or no GPU): the CUDA path runs only on a machine with one");
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(256, seed: 1);
        var cuda = DeviceSelection.Parse("cuda");
        torch.manual_seed(1);
        using var model = TinyQuadrants.Info.Create();
        var run = new Trainer(model, TrainerTests.Quick with { Epochs = 2 }, cuda) { Spec = TinyQuadrants.Info, Checkpoints = new(dir.Path) }.Fit(data);
        Assert.Equal(DeviceType.CUDA, DeviceSelection.Of(model).type);
        Assert.True(run.History[^1].ValidationAccuracy > 0.5);
        using var loaded = TinyQuadrants.Info.Create();
        Checkpoint.Load(run.BestCheckpoint!, TinyQuadrants.Info, loaded);
        loaded.to(cuda);
        var transform = new TorchSpecs.Data.BatchTransform(TinyQuadrants.Info.Input, TorchSpecs.Data.FitMode.Resize, run.Normalization!);
        Assert.True(Trainer.Measure(loaded, data, transform).Accuracy > 0.5);
    }
}
