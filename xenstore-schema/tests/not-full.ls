local = ""   (n0)
 domain = ""   (n0)
