using System.CommandLine;

var root = new RootCommand("ferryd");
return root.Parse(args).Invoke();
