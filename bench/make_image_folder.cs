// Makes a synthetic image folder for `bench <model> --modes train --dataset folder`: one
// subfolder per class, JPEG files of a given size with smooth, textured content (so that their
// scans are not trivial to decode). Nothing here goes into git: run it into a temporary folder.
//
//   dotnet run bench/make_image_folder.cs -- /tmp/flowers-synthetic 102 8 227
//
// Arguments: the output folder, classes, images per class, image size (square), JPEG quality (90).
#:package SkiaSharp@3.119.0
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
#:property TorchSpecsReferenceBackend=false
#:property PublishAot=false

using System.Globalization;
using SkiaSharp;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: dotnet run bench/make_image_folder.cs -- OUT CLASSES PER_CLASS SIZE [QUALITY]");
    return 2;
}
string output = args[0];
int classes = int.Parse(args[1], CultureInfo.InvariantCulture), perClass = int.Parse(args[2], CultureInfo.InvariantCulture);
int size = int.Parse(args[3], CultureInfo.InvariantCulture);
int quality = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 90;
var random = new Random(1);
using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
for (int c = 0; c < classes; c++)
{
    string folder = Path.Combine(output, $"class{c:D3}");
    Directory.CreateDirectory(folder);
    for (int i = 0; i < perClass; i++)
    {
        // A per-class colour gradient, per-image waves and noise.
        double fx = 0.02 + 0.1 * random.NextDouble(), fy = 0.02 + 0.1 * random.NextDouble();
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double wave = 0.5 + 0.5 * Math.Sin(fx * x + fy * y + c);
                bitmap.SetPixel(x, y, new SKColor(
                    (byte)(255 * wave), (byte)((c * 37 + y) % 256), (byte)(Math.Clamp(128 * wave + random.Next(64), 0, 255))));
            }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, quality);
        File.WriteAllBytes(Path.Combine(folder, $"{i:D4}.jpg"), data.ToArray());
    }
}
Console.WriteLine($"{output}: {classes} classes x {perClass} JPEG images of {size}x{size}");
return 0;
