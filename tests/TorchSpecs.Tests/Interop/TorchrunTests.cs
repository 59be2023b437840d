using System.Globalization;
using System.Diagnostics;
using TorchSpecs.Cli;
using TorchSpecs.Data;
using TorchSpecs.Interop;
using TorchSpecs.Models;
using TorchSpecs.Tests.Snapshots;

namespace TorchSpecs.Tests.Interop;

/// <summary>
/// The exported FashionVgg trained by PyTorch under torchrun (2 processes, gloo, DDP with a
/// DistributedSampler) on a Fashion-MNIST subset; rank 0's checkpoint loads in .NET, where
/// `evaluate` gives well above chance, `predict` reads its class names and `train --resume --from`
/// trains one more epoch from it. Needs /usr/bin/torchrun
/// with PyTorch and Debian's dataset-fashion-mnist; skipped otherwise. About a minute on 2 cores.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class TorchrunTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [SkippableFact]
    public void TorchrunTrainsTheExportedModelAndDotNetEvaluatesIt()
    {
        PythonTool.SkipUnless("torch", "numpy");
        Skip.IfNot(File.Exists("/usr/bin/torchrun"), "no /usr/bin/torchrun");
        Skip.IfNot(File.Exists(Path.Combine(DataSets.FashionMnistDirectory, "train-images-idx3-ubyte.gz")), "no Fashion-MNIST (dataset-fashion-mnist)");

        string module = PyTorchExporter.Export(FashionVgg.Info, _dir.Path);
        string checkpoint = _dir.File("FashionVgg.pth");
        string script = Path.Combine(Family.FamilyModelTests.RepoRoot(), "scripts", "train_ddp.py");
        // Debian's torchrun 1.13 on Python 3.11 cannot parse its default --redirects/--tee "0"; name both.
        var start = new ProcessStartInfo("/usr/bin/torchrun") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        // A free port of this machine's loopback, not torchrun's fixed 29500, so that two runs at once never collide.
        foreach (var arg in new[] { "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", FreePort().ToString(CultureInfo.InvariantCulture),
                     "--redirects", "2", "--tee", "1", "--log_dir", _dir.File("logs"), script,
                     "--module", module, "--model", "FashionVgg", "--dataset", "fashion-mnist", "--limit", "8000",
                     "--max-steps", "120", "--batch-size", "64", "--lr", "0.05", "--out", checkpoint })
            start.ArgumentList.Add(arg);
        using (var torchrun = Process.Start(start)!)
        {
            var stderr = torchrun.StandardError.ReadToEndAsync();
            string stdout = torchrun.StandardOutput.ReadToEnd();
            torchrun.WaitForExit();
            Assert.True(torchrun.ExitCode == 0, $"torchrun failed:\n{stdout}\n{stderr.Result}");
            Assert.Contains("(2 ranks, gloo", stdout);
        }

        var (code, output, error) = CliRunner.Run(TrainVerbs.Evaluate(new[] { FashionVgg.Info }), "FashionVgg", "--checkpoint", checkpoint, "--out", _dir.File("eval"));
        Assert.True(code == 0, error);
        var line = output.Split('\n').Single(l => l.StartsWith("test accuracy: ", StringComparison.Ordinal));
        double accuracy = double.Parse(line["test accuracy: ".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy > 0.6, $"accuracy {accuracy} (chance is 0.1)");

        string input = _dir.File("x.npy");
        using (var x = TorchSharp.torch.zeros(1, 1, 28, 28)) NpyFile.Write(input, x);
        (code, output, error) = CliRunner.Run(PredictVerb.Create(new[] { FashionVgg.Info }), "FashionVgg", "--weights", checkpoint, "--input", input, "--top", "10");
        Assert.True(code == 0, error);
        Assert.Contains("Ankle boot", output);

        // One epoch of 62 steps per rank (--limit 8000, --epochs 1): .NET goes on to epoch 2.
        (code, output, error) = CliRunner.Run(TrainVerbs.Train(new[] { FashionVgg.Info }), "FashionVgg", "--resume", "--from", checkpoint, "--epochs", "2",
            "--out", _dir.File("net"), "--no-test");
        Assert.True(code == 0, error + output);
        Assert.Contains($"resuming FashionVgg from {checkpoint} after epoch 1", output);
        var last = TorchSpecs.Training.Checkpoint.ReadMeta(Path.Combine(_dir.File("net"), TorchSpecs.Training.CheckpointPolicy.LastFile));
        Assert.Equal(2, last.Epoch);
        Assert.Equal(new[] { 1, 2 }, last.History.Select(r => r.Epoch));
        Assert.Equal(128, last.Options.BatchSize);   // 2 ranks x 64
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
