using System.CommandLine;

var root = new RootCommand("""
    ferry: log in to a Ferry cluster and reach the databases your roles allow.

    Example:
      ferry login --proxy ferry.example.com:3080 --user alice
    """);
return root.Parse(args).Invoke();
