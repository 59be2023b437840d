// One source file compiled into two assemblies: the runtime (net10.0) and the generator
// (netstandard2.0, an analyzer, which cannot reference the runtime), whose .csproj links it as
// <Compile Include="../../runtime/TorchSpecs.Runtime/Models/EditDistance.cs" />; keep it plain
// C# both can compile.
namespace TorchSpecs.Shared
{
    /// <summary>Levenshtein edit distance, for "did you mean" suggestions.</summary>
    internal static class EditDistance
    {
        /// <summary>The fewest single-character insertions, deletions and substitutions that turn <paramref name="a"/> into <paramref name="b"/> (ordinal).</summary>
        public static int Between(string a, string b)
        {
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++) previous[j] = j;
            for (int i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    int substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                    int insertOrDelete = System.Math.Min(current[j - 1], previous[j]) + 1;
                    current[j] = System.Math.Min(substitute, insertOrDelete);
                }
                var swap = previous;
                previous = current;
                current = swap;
            }
            return previous[b.Length];
        }
    }
}
