BlogitsJ„­ø=§æ¾)ÚÀ¾eGz¿+
¿