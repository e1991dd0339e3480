using System.CommandLine;

var root = new RootCommand("ferry-agent");
return root.Parse(args).Invoke();
