using System.Diagnostics;
using TorchSharp;
using TorchSpecs.Models;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Family;

/// <summary>Weights in TorchSharp's exchange format: our reader and writer, torch_name mapping, the errors, and a file PyTorch wrote.</summary>
public sealed class WeightsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchspecs-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private static bool SameParameters(nn.Module a, nn.Module b)
    {
        var left = a.state_dict();
        var right = b.state_dict();
        return left.Count == right.Count && left.All(e => right.TryGetValue(e.Key, out var t) && e.Value.shape.SequenceEqual(t.shape) && e.Value.equal(t).all().item<bool>());
    }

    [Fact]
    public void TheFormatIsReadAsDocumented()
    {
        // Hand-written bytes: 1 entry, key "w" (1 byte), Float32 (6), 2 dims [2, 300] (300 = 0xAC 0x02 in LEB128), values.
        var bytes = new List<byte> { 1, 1, (byte)'w', 6, 2, 2, 0xAC, 0x02 };
        var values = Enumerable.Range(0, 600).Select(i => (float)i).ToArray();
        bytes.AddRange(values.SelectMany(BitConverter.GetBytes));
        System.IO.File.WriteAllBytes(File("hand.dat"), bytes.ToArray());

        var stored = Assert.Single(StateDictFile.Read(File("hand.dat")));
        Assert.Equal(("w", ScalarType.Float32), (stored.Key, stored.Type));
        Assert.Equal(new long[] { 2, 300 }, stored.Shape);
        using var t = stored.ToTensor();
        Assert.Equal(299f, t[0, 299].item<float>());
        Assert.Equal(599f, t[1, 299].item<float>());

        // Our writer gives the same bytes back.
        StateDictFile.Write(File("again.dat"), new[] { ("w", t) });
        Assert.Equal(bytes.ToArray(), System.IO.File.ReadAllBytes(File("again.dat")));
    }

    [Fact]
    public void ATruncatedFileSaysWhereItEnds()
    {
        System.IO.File.WriteAllBytes(File("short.dat"), new byte[] { 1, 1, (byte)'w', 6, 1, 4, 0, 0 });
        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Read(File("short.dat")));
        Assert.Contains("the file ends inside the values of 'w' (entry 1 of 1) (2 of 16 bytes)", error.Message);
    }

    [Fact]
    public void TorchSharpsOwnSaveAndLoadAgreeWithOurFormat()
    {
        using var saved = new AlexNetPaper();
        saved.save(File("torchsharp.dat"));
        var stored = StateDictFile.Read(File("torchsharp.dat"));
        Assert.Equal(saved.state_dict().Keys, stored.Select(s => s.Key));

        using var loaded = new AlexNetPaper();
        Assert.False(SameParameters(saved, loaded));
        ModelWeights.Save(saved, AlexNetPaper.Info, File("ours.dat"));
        loaded.load(File("ours.dat"));                // TorchSharp reads what we write
        Assert.True(SameParameters(saved, loaded));
    }

    [Fact]
    public void WeightsSavedUnderTorchNamesLoadBackIntoTheRows()
    {
        using var first = new AlexNet();
        ModelWeights.Save(first, AlexNet.Info, File("alexnet.dat"), torchNames: true);
        var keys = StateDictFile.Read(File("alexnet.dat")).Select(s => s.Key).ToList();
        Assert.Equal(new[] { "features.0.weight", "features.0.bias", "features.3.weight" }, keys.Take(3));
        Assert.Contains("classifier.6.bias", keys);

        using var second = new AlexNet();
        second.LoadWeights(File("alexnet.dat"));
        Assert.True(SameParameters(first, second));
    }

    [Fact]
    public void AnExplicitNameMapLoadsRowsWithoutTorchName()
    {
        using var first = new AlexNetPaper();
        var map = new Dictionary<string, string>();
        int index = 0;
        var renamed = first.state_dict().Select(e =>
        {
            string row = e.Key.Substring(0, e.Key.LastIndexOf('.'));
            if (!map.ContainsValue(row)) map[$"features.{index++}"] = row;
            return (map.Single(m => m.Value == row).Key + e.Key.Substring(row.Length), e.Value);
        }).ToList();
        StateDictFile.Write(File("renamed.dat"), renamed);

        using var second = new AlexNetPaper();
        var error = Assert.Throws<WeightsMismatchException>(() => second.LoadWeights(File("renamed.dat")));
        Assert.Contains("AlexNetPaper's rows have no torch_name", error.Message);
        ModelWeights.Load(second, AlexNetPaper.Info, File("renamed.dat"), strict: true, torchNames: map);
        Assert.True(SameParameters(first, second));
    }

    [Fact]
    public void AMissingTensorIsNamedWithItsTorchName()
    {
        using var model = new AlexNet();
        StateDictFile.Write(File("missing.dat"), model.state_dict().Where(e => e.Key != "conv3.bias").Select(e => (e.Key, e.Value)));
        var error = Assert.Throws<WeightsMismatchException>(() => model.LoadWeights(File("missing.dat")));
        Assert.Equal("missing.dat does not fit AlexNet: missing tensor 'conv3.bias' (PyTorch name 'features.6.bias'): the file does not hold it", error.Message);
        Assert.Equal(15, model.LoadWeights(File("missing.dat"), strict: false));
    }

    [Fact]
    public void AnUnexpectedTensorIsNamed()
    {
        using var model = new AlexNet();
        using var extra = torch.zeros(3);
        StateDictFile.Write(File("extra.dat"), model.state_dict().Select(e => (e.Key, e.Value)).Append(("features.1.weight", extra)));
        var error = Assert.Throws<WeightsMismatchException>(() => model.LoadWeights(File("extra.dat")));
        Assert.Equal("extra.dat does not fit AlexNet: unexpected tensor 'features.1.weight': the model has no such parameter or buffer", error.Message);
        model.LoadWeights(File("extra.dat"), strict: false);
    }

    [Fact]
    public void AMisShapedTensorIsNamedWithBothShapesEvenWhenNotStrict()
    {
        using var model = new AlexNet();
        using var wrong = torch.zeros(192, 64, 3, 3);
        var entries = model.state_dict().Select(e => e.Key == "conv2.weight" ? ("features.3.weight", wrong) : (e.Key, e.Value)).ToList();
        StateDictFile.Write(File("shape.dat"), entries);
        var error = Assert.Throws<WeightsMismatchException>(() => model.LoadWeights(File("shape.dat"), strict: false));
        Assert.Equal("shape.dat does not fit AlexNet: tensor 'conv2.weight' (file key 'features.3.weight') has shape [192, 64, 3, 3] in the file but [192, 64, 5, 5] in AlexNet", error.Message);
    }

    [Fact]
    public void BatchNormBuffersTravelToo()
    {
        using var first = new Vgg16BnCifar10();
        using (torch.no_grad()) first.Block1Bn1.running_mean!.fill_(0.25);
        ModelWeights.Save(first, Vgg16BnCifar10.Info, File("bn.dat"));
        Assert.Contains(StateDictFile.Read(File("bn.dat")), s => s.Key == "block1_bn1.num_batches_tracked" && s.Type == ScalarType.Int64);
        using var second = new Vgg16BnCifar10();
        second.LoadWeights(File("bn.dat"));
        Assert.Equal(0.25f, second.Block1Bn1.running_mean![5].item<float>());
        Assert.True(SameParameters(first, second));
    }

    /// <summary>
    /// torchvision's AlexNet state_dict as PyTorch writes it (bench/export_torchvision.py), loaded through
    /// torch_name, gives torchvision's output. Needs /usr/bin/python3 with torch and torchvision; without
    /// them only the C# half of the weights tests runs.
    /// </summary>
    [Fact]
    public void TorchvisionsAlexNetWeightsGiveTorchvisionsOutput()
    {
        string script = Path.Combine(FamilyModelTests.RepoRoot(), "bench", "export_torchvision.py");
        if (!System.IO.File.Exists("/usr/bin/python3") || !PythonHas("torch", "torchvision"))
            return; // skipped: no PyTorch here
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { script, "alexnet", File("tv.dat"), File("probe.dat"), "7" }) start.ArgumentList.Add(arg);
        using (var python = Process.Start(start)!)
        {
            string stderr = python.StandardError.ReadToEnd();
            python.WaitForExit();
            Assert.True(python.ExitCode == 0, stderr);
        }

        using var model = new AlexNet();
        Assert.Equal(16, model.LoadWeights(File("tv.dat")));
        model.eval();
        var probe = StateDictFile.Read(File("probe.dat")).ToDictionary(s => s.Key);
        using var input = probe["input"].ToTensor();
        using var expected = probe["output"].ToTensor();
        using var noGrad = torch.no_grad();
        using var output = model.call(input);
        Assert.Equal(expected.shape, output.shape);
        double error = (output - expected).abs().max().item<float>();
        Assert.True(error < 1e-4, $"largest difference from torchvision's output: {error}");
    }

    private static bool PythonHas(params string[] modules)
    {
        try
        {
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(string.Join("; ", modules.Select(m => "import " + m)));
            using var p = Process.Start(start)!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
