using OpenChami.VirtualBmc.TestSupport.Sysfs;

// Usage: DemoFixture OUTDIR — writes the dense 8-GPU / 4-ConnectX fixture node's sysfs tree under OUTDIR (replaced).
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: OpenChami.VirtualBmc.DemoFixture OUTDIR");
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
