using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;

// Usage: DemoFixture OUTDIR                — writes the dense 8-GPU / 4-ConnectX fixture node's sysfs tree under OUTDIR (replaced).
//        DemoFixture --base-image FILE     — writes the demo's 1 MiB raw base image (examples/demo/images.yaml pins its SHA-256).
//        DemoFixture --large DIR           — writes the 64-VF node (DIR/sysfs), its node type and a host file (bench/run.sh).
if (args is ["--base-image", var image])
{
    var path = DiskImages.WriteDemoBaseImage(Path.GetFullPath(image));
    Console.WriteLine($"wrote the demo base image to {path} (sha256 {DiskImages.Sha256(path)})");
    return 0;
}
if (args is ["--large", var large])
{
    Console.WriteLine($"wrote the 64-VF node and its host file {LargeNodeFixture.Write(Path.GetFullPath(large))}");
    return 0;
}
if (args.Length != 1 || args[0].StartsWith("--", StringComparison.Ordinal))
{
    Console.Error.WriteLine("usage: OpenChami.VirtualBmc.DemoFixture OUTDIR | --base-image FILE | --large DIR");
    return 2;
}
var root = Path.GetFullPath(args[0]);
if (Directory.Exists(root))
{
    Directory.Delete(root, recursive: true);
}
DenseNodeFixture.Build(root);
Console.WriteLine($"wrote the dense fixture node's sysfs tree to {root}");
return 0;
