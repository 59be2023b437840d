using System.Globalization;
using Microsoft.CodeAnalysis;
using TorchSpecs.Tests.Family;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Kinds;

/// <summary>
/// Rules that live in the key definitions and the reader (issue 12 §4): ranges of numbers,
/// values a float or an int cannot hold, one report for a bad default, unique torch_name, and
/// the messages for a batchnorm: rule that recreates names and a dropout before a missing flatten.
/// </summary>
public class KeyRuleTests
{
    private const string Path = "specs/x.yaml";

    private static Diagnostic Single(string yaml) => Assert.Single(TorchSpecs.Tests.Diagnostics.DiagnosticTests.Run(yaml));

    private static string Message(Diagnostic d) => d.GetMessage(CultureInfo.InvariantCulture);

    private static (int Line, int Column) At(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        return (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1);
    }

    private static string Lrn(string keys) => $"model: Tiny\ninput: 8x8x4\nlayers:\n  - {{ name: lrn1, type: lrn, size: 5, {keys} }}\n";

    [Theory]
    [InlineData("k: -1", 42, "'k' is -1, but it must be zero or more")]
    [InlineData("alpha: -0.0001", 46, "'alpha' is -0.0001, but it must be zero or more")]
    public void NegativeLrnConstantsAreErrorsAtTheirValue(string keys, int column, string message)
    {
        var d = Single(Lrn(keys));
        Assert.Equal("TS0007", d.Id);
        Assert.Equal((4, column), At(d));
        Assert.Equal(message, Message(d));
    }

    [Fact]
    public void ANumberAFloatCannotHoldIsAnErrorAtItsValue()
    {
        var d = Single("model: Tiny\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, bias_init: 1e39 }\n");
        Assert.Equal("TS0007", d.Id);
        Assert.Equal((4, 66), At(d));
        Assert.Equal("'bias_init' is 1e39, but it must be a finite number that fits a 32-bit float (at most 3.4028234663852886E+38 in size)", Message(d));
    }

    [Theory]
    [InlineData("truncated_normal(1e308, 1e308)", ", with mean ± 2·std too (the cut-off)")]
    [InlineData("normal(0, 1e39)", "")]
    public void InitializerArgumentsAFloatCannotHoldAreErrorsAtTheirValue(string init, string truncation)
    {
        var d = Single($"model: Tiny\ninput: 8x8x3\nlayers:\n  - {{ name: conv1, type: conv, kernel: 3, filters: 4, weight_init: \"{init}\" }}\n");
        Assert.Equal("TS0007", d.Id);
        Assert.Equal($"'weight_init' is {init}, but it must be a mean and std that fit a 32-bit float{truncation}", Message(d));
    }

    [Fact]
    public void AWholeNumberAnIntCannotHoldIsAnErrorAtItsValue()
    {
        var d = Single("model: Tiny\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 3000000000 }\n");
        Assert.Equal("TS0007", d.Id);
        Assert.Equal("'filters' is 3000000000, but it must be at most 2147483647", Message(d));
    }

    [Fact]
    public void ABadDefaultsValueIsReportedOnceNotOncePerRow()
    {
        const string yaml = "model: Tiny\ninput: 8x8x3\ndefaults: { bias_init: big, eps: -1 }\nlayers:\n"
                          + "  - { type: conv, kernel: 3, filters: 4 }\n  - { type: batchnorm }\n  - { type: conv, kernel: 3, filters: 4 }\n  - { type: batchnorm }\n  - { type: conv, kernel: 3, filters: 4 }\n";
        var diagnostics = TorchSpecs.Tests.Diagnostics.DiagnosticTests.Run(yaml);
        Assert.Equal(new[] { ("TS0003", (3, 24)), ("TS0007", (3, 34)) }, diagnostics.Select(d => (d.Id, At(d))).OrderBy(x => x.Item2).ToArray());
    }

    [Fact]
    public void ATorchNameTwoRowsShareIsAnErrorAtTheSecond()
    {
        const string yaml = "model: Tiny\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, torch_name: features.0 }\n  - { name: conv2, type: conv, kernel: 3, filters: 4, torch_name: features.0 }\n";
        var d = Single(yaml);
        Assert.Equal("TS0007", d.Id);
        Assert.Equal((5, 67), At(d));
        Assert.Equal("'torch_name' is features.0, but it must be a module path no other row has (row 1 has it: two rows cannot load the same PyTorch tensors)", Message(d));
    }

    [Fact]
    public void ABatchnormRuleThatRecreatesExistingNamesReportsTheCollisionAtTheRule()
    {
        const string bnBase = "model: SmallBn\nbase: Small\nbatchnorm: after_conv\n";
        const string again = "model: Again\nbase: SmallBn\nbatchnorm: after_conv\n";
        var run = GeneratorHarness.Run(("specs/small.yaml", FamilyDiagnosticsTests.Base), ("specs/small-bn.yaml", bnBase), ("specs/again.yaml", again));
        var d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("TS0010", d.Id);
        Assert.Equal(GeneratorHarness.ProjectDirectory + "specs/again.yaml", d.Location.GetLineSpan().Path);
        Assert.Equal((3, 12), At(d));
        Assert.Equal("Layer name 'bn1' is already used by row 2 of the table (the batchnorm: rule names the row after conv1; does the base already have batch norm rows?); layer names must be unique in a model: rename one of them", Message(d));
    }

    [Fact]
    public void ADropoutDocumentedFlatBeforeAMissingFlattenSaysToAddTheFlatten()
    {
        var d = Single("model: Tiny\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, output: 6x6x4 }\n  - { name: drop1, type: dropout, rate: 0.5, output: 144 }\n");
        Assert.Equal("TS0101", d.Id);
        Assert.Equal("drop1 output is 6x6x4 but the table says 144: a dropout row keeps its input shape 6x6x4. 6x6x4 flattened is 144: add a flatten row before drop1", Message(d));
    }
}
