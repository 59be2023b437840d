using TorchSpecs.Data;
using TorchSpecs.Metrics;
using TorchSpecs.Native;
using TorchSpecs.Tests.TestModels;
using TorchSpecs.Training;

namespace TorchSpecs.Tests.Training;

public class EvaluationTests
{
    [Fact]
    public void Writes_the_report_and_png_pictures()
    {
        using var dir = new TempDirectory();
        using var data = SyntheticData.Quadrants(40, seed: 9);
        using var model = TinyQuadrants.Info.Create();
        var transform = new BatchTransform(TinyQuadrants.Info.Input, FitMode.Resize, new Normalization(new[] { 0.3f }, new[] { 0.3f }));
        var history = new[] { new EpochRecord(1, 0.1, 1.2, 0.5, 1.1, 0.55, 100, 1), new EpochRecord(2, 0.05, 0.8, 0.7, 0.9, 0.65, 100, 1) };
        var result = Evaluation.Run(model, "TinyQuadrants", data, transform, dir.Path, history);

        Assert.Equal(40, result.Matrix.Total);
        string report = File.ReadAllText(result.ReportFile);
        Assert.Contains($"test accuracy: {result.Accuracy:F4}", report);
        Assert.Contains("weighted avg", report);
        foreach (var png in new[] { result.ConfusionImage, result.CurvesImage! })
        {
            var bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 1000, $"{png}: {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("1", false)]
    [InlineData("0", true)]
    [InlineData("off", true)]
    [InlineData("FALSE", true)]
    public void Malloc_tuning_opt_out(string? value, bool optedOut) => Assert.Equal(optedOut, MallocTuning.OptedOut(value));

    [Fact]
    public void Free_memory_is_released_at_most_once_an_interval()
    {
        var now = TimeSpan.Zero;
        var release = new TorchSpecs.Training.MemoryRelease(TimeSpan.FromMinutes(1), () => now);
        var due = new List<bool>();
        foreach (int seconds in new[] { 20, 40, 61, 80, 120, 121, 300 })
        {
            now = TimeSpan.FromSeconds(seconds);
            due.Add(release.Due());
        }
        // Epochs ending at 20 s and 40 s keep their pages; 61 s releases, and the next is a minute after it.
        Assert.Equal(new[] { false, false, true, false, false, true, true }, due);
    }

    [Fact]
    public void Malloc_tuning_applies_on_linux()
    {
        if (!OperatingSystem.IsLinux() || MallocTuning.OptedOut(Environment.GetEnvironmentVariable(MallocTuning.OptOutVariable))) return;
        Assert.True(MallocTuning.Apply());
    }

    [Fact]
    public void OpenMp_tuning_respects_a_wait_policy_already_set()
    {
        string? before = Environment.GetEnvironmentVariable(OpenMpTuning.Variable);
        try
        {
            Environment.SetEnvironmentVariable(OpenMpTuning.Variable, "ACTIVE");
            Assert.False(OpenMpTuning.Apply());
            Assert.Equal("ACTIVE", Environment.GetEnvironmentVariable(OpenMpTuning.Variable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(OpenMpTuning.Variable, before);
        }
    }
}
