# %% [markdown]
# # 05 · MLflow Models, parte 1: do que um modelo é feito
#
# Um MLflow Model é uma pasta com um arquivo de descrição (`MLmodel`) que diz como
# carregá-lo em vários *flavors* (como estimador scikit-learn, como função Python…), que entrada ele espera (sua assinatura, ou
# signature), um exemplo dessa entrada e os pacotes de que ele precisa. É esse contrato que
# permite carregar o mesmo modelo em um notebook, usá-lo em previsão em lote (batch
# scoring), servi-lo via REST ou empacotá-lo em uma imagem de contêiner sem mudar código.
# Esta parte abre um modelo no bucket, quebra a assinatura dele de propósito, envolve o
# campeão da lição 04 com pré-processamento em um modelo escrito como código, avalia o
# campeão e faz a previsão em lote de um arquivo. A parte 2 serve esses modelos via HTTP e
# gera o Dockerfile de uma imagem de contêiner.
#
# **Você vai aprender** os arquivos de um modelo logado (logged model); flavors;
# a verificação da assinatura; modelos logados e `mlflow.search_logged_models`;
# modelos `pyfunc` personalizados escritos como código (models from code), com requisitos
# fixados; `mlflow.models.evaluate`; previsão em lote de um arquivo.
#
# **Tempo:** 35 minutos (cerca de 22 para ler, 2 para executar as células, 10 para o
# exercício).
# **Pré-requisitos:** 04 · O registro de modelos (ela cria `previsao_precos@champion`).
#
# **No mapa** (lição 00): os arquivos de um modelo logado no bucket, e o que os carrega.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
model_name = "previsao_precos"
explainability_rows = 100  # linhas de teste cujas previsões o SHAP explica

# %%
import mlflow
import numpy as np
from mlflow import MlflowClient

client = MlflowClient()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
champion = lab_utils.assert_model_version(model_name, alias="champion")

# Os erros desta lição aparecem resumidos: a exceção e sua mensagem, sem a pilha de
# chamadas da biblioteca (`%xmode Context` traz o traceback completo de volta).
# %xmode Minimal

# %% [markdown]
# ## Anatomia de um modelo logado
#
# A versão campeã aponta para um **modelo logado**: desde o MLflow 3,
# `log_model(name=...)` cria uma entidade de modelo própria (um id `m-…`, seus arquivos, suas
# métricas, a execução (run) de onde veio), listada na aba **Models** do experimento
# (experiment). Vamos listar os arquivos dele no bucket com o boto3 e ler o seu arquivo
# `MLmodel`, exatamente como o servidor os guardou.

# %%
import yaml

# O source da versão é `models:/m-…`: o id do modelo logado a partir do qual ela foi registrada.
logged_model = client.get_logged_model(champion.model_id or champion.source.removeprefix("models:/"))
prefix = lab_utils.bucket_prefix(lab, logged_model.artifact_location)
s3 = lab_utils.s3_client(lab)
files = sorted(item["Key"].removeprefix(prefix)
               for item in s3.list_objects_v2(Bucket=lab.bucket, Prefix=prefix)["Contents"])
mlmodel = yaml.safe_load(s3.get_object(Bucket=lab.bucket, Key=prefix + "MLmodel")["Body"].read())
print(f"s3://{lab.bucket}/{prefix}")
for name in files:
    print("  ", name)

# %% [markdown]
# > **skops** — um formato de arquivo para modelos scikit-learn (`model.skops`, acima).
# > Diferente do pickle do Python, ele anota o tipo de cada objeto que guarda e, ao
# > carregar, recusa tipos que não estejam em uma lista de confiança. Fora do Databricks, o
# > MLflow 3 salva modelos scikit-learn com skops por padrão. É mais seguro que o pickle, mas
# > não é uma sandbox: carregue modelos apenas de fontes em que você confia.

# %% tags=["nbval-check-output"]
print("flavors:", sorted(mlmodel["flavors"]))
print("carregador do flavor python_function:", mlmodel["flavors"]["python_function"]["loader_module"])
print("serialização do flavor sklearn:", mlmodel["flavors"]["sklearn"]["serialization_format"])
print("entradas da assinatura:", [column["name"] for column in yaml.safe_load(mlmodel["signature"]["inputs"])])
print("requisitos:", [line.split("==")[0] for line in
                      s3.get_object(Bucket=lab.bucket, Key=prefix + "requirements.txt")["Body"]
                      .read().decode().split()])

# %% [markdown]
# > **Flavor** ("sabor", em inglês) — uma forma de carregar um modelo salvo. `sklearn` devolve o estimador
# > scikit-learn original (`mlflow.sklearn.load_model`); `python_function` (`pyfunc`) devolve
# > um objeto genérico com um método `predict` que toda ferramenta do MLflow (servir,
# > previsão em lote, `evaluate`) entende, qualquer que seja a biblioteca que treinou o
# > modelo.
#
# > **Assinatura (signature)** — a entrada e a saída declaradas do modelo: nomes e tipos das
# > colunas. Um modelo `pyfunc` confere cada entrada com ela antes de prever.
#
# Além do `MLmodel` (flavors, assinatura), a pasta contém **input_example.json** e
# **serving_input_example.json** (linhas reais, e as mesmas linhas como corpo de uma
# requisição REST), e **requirements.txt**, **conda.yaml** e **python_env.yaml** (o que
# instalar para carregá-lo).
#
# A lição 04 não listou os requisitos: o MLflow os *inferiu*. Ele carrega o modelo em um novo
# processo Python, anota cada módulo importado ao carregá-lo e ao prever o exemplo de entrada,
# e nomeia os pacotes instalados que fornecem esses módulos. É uma heurística, e a lista acima
# mostra os seus limites: `pytest` e `rich` estão nela porque o skops, para montar a sua lista
# de tipos de confiança, pede ao scikit-learn todos os seus estimadores, o que importa os
# auxiliares de teste do scikit-learn (que usam `pytest`), e o scikit-learn importa o seu
# callback de barra de progresso (que usa `rich`) — cada um só quando o pacote está
# instalado, como no ambiente do laboratório (`pytest` roda os testes do laboratório, `rich` vem com o Prefect).
# `psutil` vem do rastreamento (tracing) do próprio MLflow. Nenhum dos três é necessário para
# prever; em outro ambiente a lista muda. Quando a lista importa — uma imagem para servir, a
# máquina de um colega — declare-a com `pip_requirements`, como faz o modelo personalizado
# mais abaixo.
#
# ### Ponto de verificação
# O modelo logado é uma entidade do lado do servidor: `mlflow.search_logged_models`
# o encontra pela execução de onde ele veio, com seu nome e status.

# %%
found = mlflow.search_logged_models(experiment_ids=[logged_model.experiment_id],
                                    filter_string=f"source_run_id = '{logged_model.source_run_id}'",
                                    output_format="list")
assert logged_model.model_id in {m.model_id for m in found}, "o modelo logado do campeão não foi encontrado"
print(f"✓ o campeão é o modelo logado {logged_model.name!r} ({logged_model.status}) "
      f"da execução {logged_model.source_run_id[:8]}…")

# %% [markdown]
# ## Verificação da assinatura
#
# Uma coluna ausente é recusada com uma mensagem que a nomeia (espera-se que esta célula
# falhe):

# %%
model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
print(model.metadata.get_input_schema())

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.drop(columns=["lotsize"]).head(2))

# %% [markdown]
# Um valor que não pode ser convertido para o tipo declarado também é recusado:

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.head(2).assign(bedrooms="three"))

# %% [markdown]
# Uma conversão segura é aceita: inteiros de 32 bits são ampliados para o `long` de 64 bits
# declarado:

# %% tags=["nbval-check-output"]
print(model.predict(X_test.head(2).astype({"bedrooms": "int32"})).round(-2))

# %% [markdown]
# mas floats são recusados em uma coluna inteira, mesmo os de valor inteiro: `3.0` quartos
# falha. É disso que trata o aviso do MLflow sobre "integer column(s)" ao logar o modelo:
# o pandas guarda como float uma coluna com valores ausentes, então, se uma coluna puder ter
# valores ausentes algum dia, declare-a como float ao logar o modelo. Os dados das casas
# não têm nenhum, então as colunas inteiras deles estão corretas.

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.head(2).astype({"bedrooms": "float64"}))

# %% [markdown]
# ## Um modelo personalizado escrito como código
#
# Entradas reais raramente chegam limpas: aqui, os anúncios novos vêm com respostas
# `yes`/`no` e a área do terreno em metros quadrados. Um modelo `pyfunc` personalizado leva
# esse pré-processamento junto com o estimador, para que todo consumidor tenha o mesmo
# comportamento: crie uma subclasse de `mlflow.pyfunc.PythonModel` e implemente `predict`.
#
# Como logá-lo: passar uma *instância* (`python_model=ListingPriceModel()`) faz o MLflow
# serializá-la com o cloudpickle, e o MLflow avisa que desserializar um pickle pode executar
# código arbitrário e recomenda **modelos a partir de código (models from code)**: passe o
# *caminho de um arquivo Python* que define o modelo e chama `mlflow.models.set_model(...)`.
# O MLflow guarda o próprio arquivo, legível e revisável, e o executa para carregar o
# modelo. Aqui está o nosso:

# %%
model_code = lab_utils.REPO_ROOT / "projects" / "listing_model" / "listing_price_model.py"
print(model_code.read_text())

# %% [markdown]
# O estimador chega ao modelo como um **artefato** (artifact): `artifacts={"estimator": uri}`
# faz o MLflow copiar o campeão para dentro do novo modelo quando ele é logado, e
# `load_context` o carrega. Os requisitos são fixados nas versões instaladas aqui
# (`importlib.metadata`): um `scikit-learn` sem versão fixada instalaria a mais nova que
# existisse no dia em que alguém reconstruísse o ambiente, e esse não é o ambiente em que o
# modelo foi testado.
#
# O MLflow infere a assinatura a partir do `input_example` executando o modelo sobre ele. Ele
# imprimiria o aviso de colunas inteiras explicado acima (como `UserWarning`); as contagens
# do formulário são inteiras de propósito, então a célula silencia esse aviso específico.

# %%
import warnings
from importlib.metadata import version

import pandas as pd

SQFT_PER_M2 = 10.7639
yes_no = ["driveway", "recroom", "fullbase", "gashw", "airco", "prefarea"]


def as_listing(frame: pd.DataFrame) -> pd.DataFrame:
    """As casas na forma bruta: strings yes/no e m²."""
    raw = frame.copy()
    raw[yes_no] = raw[yes_no].replace({1: "yes", 0: "no"})
    raw.insert(0, "lotsize_m2", (raw.pop("lotsize") / SQFT_PER_M2).round(1))
    return raw


listings = as_listing(X_test)
pinned = [f"{package}=={version(package)}" for package in ("mlflow", "scikit-learn", "pandas", "skops")]
mlflow.set_experiment("meu_experimento")
INTEGER_HINT = "Hint: Inferred schema contains integer column"
with mlflow.start_run(run_name="custom_pyfunc") as custom_run, warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    custom_info = mlflow.pyfunc.log_model(
        name="model", python_model=str(model_code),
        artifacts={"estimator": f"models:/{model_name}/{champion.version}"},
        input_example=listings.head(3), pip_requirements=pinned,
    )
custom_version = mlflow.register_model(custom_info.model_uri, "previsao_precos_anuncios")

# %% [markdown]
# ### Ponto de verificação
# O modelo personalizado está registrado, o servidor o lista como modelo logado
# desta execução, os requisitos dele no bucket estão fixados e ele dá preço a anúncios
# brutos como o campeão dá preço a linhas limpas.

# %%
lab_utils.assert_model_version("previsao_precos_anuncios", version=custom_version.version)
[custom_logged] = mlflow.search_logged_models(filter_string=f"source_run_id = '{custom_run.info.run_id}'",
                                              output_format="list")
assert custom_logged.model_id == custom_info.model_id
requirements = s3.get_object(Bucket=lab.bucket, Key=lab_utils.bucket_prefix(lab, custom_logged.artifact_location)
                             + "requirements.txt")["Body"].read().decode().split()
assert all("==" in line for line in requirements), f"requisitos sem versão fixada: {requirements}"
reloaded = mlflow.pyfunc.load_model(f"models:/previsao_precos_anuncios/{custom_version.version}")
assert np.allclose(reloaded.predict(listings.head(5)), model.predict(X_test.head(5)), rtol=1e-3)
print("✓ anúncios brutos recebem o mesmo preço que as linhas limpas; requisitos no bucket:", requirements)

# %% [markdown]
# ## Avaliando um modelo
#
# `mlflow.models.evaluate` avalia um modelo em dados rotulados e loga as métricas na
# execução ativa. Ele lê o conjunto de teste: o campeão já foi escolhido (a lição 04 relatou o
# RMSE de teste dele uma vez), então este é um relatório mais completo da mesma nota em dados
# que nenhuma decisão viu, e não uma nova escolha.
#
# > **SHAP** — uma forma de explicar previsões: para cada linha, o quanto cada feature
# > empurrou a previsão para cima ou para baixo da previsão média (seu "valor
# > SHAP"). Ordenar as features pelo efeito médio mostra o que mais mexe nos preços.
#
# O `evaluate` pode gerar gráficos SHAP por conta própria (`log_model_explainability`,
# ligado por padrão). Para um regressor, ele usa o explainer genérico de permutação do SHAP,
# que refaz a previsão de cada linha muitas vezes: é lento, e o SHAP imprime uma barra de
# progresso quando passa de 10 segundos. Um modelo linear tem um explainer exato e rápido,
# então desligamos essa opção e chamamos o SHAP nós mesmos, mais abaixo. (O `evaluate`
# também infere um esquema a partir dos dados e imprimiria de novo o aviso de colunas
# inteiras: silenciado, como acima. As linhas INFO dele dizem que ele liga o tracing do
# MLflow enquanto roda; não há nada a fazer quanto a elas.)

# %%
evaluation_data = X_test.assign(price=y_test)
with mlflow.start_run(run_name="evaluate_champion") as evaluation_run, warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    mlflow.set_tag("model_version", champion.version)
    result = mlflow.models.evaluate(
        f"models:/{model_name}@champion", evaluation_data, targets="price", model_type="regressor",
        evaluator_config={"log_model_explainability": False},
    )
print({k: round(float(v), 3) for k, v in result.metrics.items()
       if k in ("root_mean_squared_error", "mean_absolute_error", "r2_score")})

# %% [markdown]
# `shap.LinearExplainer` explica o estimador scikit-learn do campeão (seu flavor `sklearn`)
# usando os dados de treinamento como referência (background); `client.log_figure` guarda o
# gráfico na execução de avaliação (o bloco `with` já terminou, então a chamada indica a
# execução).

# %%
import matplotlib.pyplot as plt
import shap

estimator = mlflow.sklearn.load_model(f"models:/{model_name}@champion")
explanation = shap.LinearExplainer(estimator, X_train)(X_test.head(explainability_rows))
figure = plt.figure()
shap.plots.bar(explanation, show=False)
client.log_figure(evaluation_run.info.run_id, figure, "shap/feature_importance.png")
plt.close(figure)
importance = pd.Series(np.abs(explanation.values).mean(axis=0), index=X_test.columns)
print("média de |valor SHAP| (CAD):", importance.sort_values(ascending=False).round(-2).head(4).to_dict())
print("na UI:", lab_utils.run_url(lab, evaluation_run))

# %%
checked = lab_utils.assert_run_logged(evaluation_run.info.run_id,
                                      metrics=["root_mean_squared_error", "r2_score"],
                                      artifacts=["shap/feature_importance.png"])

# %% [markdown]
# ## Previsão em lote de um arquivo
#
# `data/new_houses.csv` contém vinte anúncios sem preço. Carregue o campeão uma vez, gere as
# previsões para o arquivo e guarde-as como artefato de uma execução de previsão.

# %%
new_houses = lab_utils.load_new_houses()
priced = new_houses.assign(predicted_price=model.predict(new_houses).round(-2))
with mlflow.start_run(run_name="batch_scoring") as scoring_run:
    mlflow.set_tags({"model": f"{model_name}@champion", "model_version": champion.version})
    mlflow.log_table(priced.reset_index(), "predictions/new_houses.json")
    mlflow.log_metric("houses_scored", len(priced))
priced.head()

# %%
checked = lab_utils.assert_run_logged(scoring_run.info.run_id, metrics={"houses_scored": 20},
                                      artifacts=["predictions/new_houses.json"])

# %% [markdown]
# ## Exercício
#
# ### Exercício 1
# O campeão recusa `3.0` quartos: a assinatura dele declara `bedrooms` como `long`. Suponha
# que um formulário web envie essa coluna como float. Logue de novo o estimador
# scikit-learn do campeão (`estimator`, carregado acima para o SHAP) como um novo modelo
# logado cuja assinatura declare `bedrooms` como float (`double`) e mantenha as
# outras colunas como o campeão as tem, e coloque em `float_info` o `ModelInfo` que
# `log_model` devolve. A verificação lê a assinatura no arquivo `MLmodel` guardado no
# servidor e dá preço a quartos em float (`3.0`, e até `2.5`) com o seu modelo.

# %% tags=["exercise"]
float_info = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `mlflow.sklearn.log_model(estimator, name="model", input_example=...)` infere a
# assinatura a partir do exemplo: passe linhas de `X_test` cuja coluna `bedrooms` seja
# `float64` (`DataFrame.astype`). Silencie o aviso de colunas inteiras como faz a célula do
# modelo personalizado.
#
# </details>

# %% tags=["solution"]
with mlflow.start_run(run_name="float_bedrooms"), warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    float_info = mlflow.sklearn.log_model(estimator, name="model",
                                          input_example=X_test.head(3).astype({"bedrooms": "float64"}))

# %% tags=["check-exercise"]
if lab_utils.attempted(float_info, "Exercício 1"):
    from lab_utils.grading import lesson_05_models
    lesson_05_models.check_exercise_1(float_info, model_name, champion.version, X_test)

# %% [markdown]
# ## Resumo
#
# - Um modelo logado é uma entidade no servidor (`search_logged_models`) e
#   arquivos no bucket: `MLmodel` (flavors, assinatura), exemplos, requisitos fixados.
# - A assinatura protege as previsões de entradas malformadas; declare como float uma
#   coluna que possa ter valores ausentes.
# - Um `pyfunc` personalizado leva o pré-processamento junto com o modelo; logue-o a
#   partir de código (um arquivo e `set_model`), não como um objeto serializado com pickle.
# - `mlflow.models.evaluate` loga métricas; o SHAP explica previsões, e `log_figure`
#   guarda o gráfico; previsão em lote é `load_model` + `predict`.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - Documentação do MLflow: https://mlflow.org/docs/latest/
# - Rastreamento (Tracking): https://mlflow.org/docs/latest/ml/tracking/
# - Modelos (flavors, assinaturas, exemplos de entrada): https://mlflow.org/docs/latest/ml/model/
# - Registro de modelos (Model Registry): https://mlflow.org/docs/latest/ml/model-registry/
# - Modelos a partir de código (models from code): https://mlflow.org/docs/latest/ml/model/models-from-code/
# - Assinaturas de modelos: https://mlflow.org/docs/latest/ml/model/signatures/
# - Avaliação: https://mlflow.org/docs/latest/ml/evaluation/
#
# ## Verifique o que aprendeu
#
# 1. Uma coluna pode ter valores ausentes em produção. Que tipo ela deve ter na assinatura,
#    e o que acontece na hora da previsão se ela for declarada `long`?
# 2. Por que o MLflow recomenda logar um `pyfunc` personalizado a partir de um arquivo de
#    código em vez de passar uma instância?
# 3. O que dá errado, meses depois, com `pip_requirements=["scikit-learn", "pandas"]`?
# 4. Esta lição carrega o campeão em dois flavors. Qual deles o `LinearExplainer` do SHAP
#    recebe, qual deles faz a previsão do arquivo, e por quê?

# %% [markdown] tags=["solution"]
# 1. `double` (um float): o pandas guarda como float uma coluna com valores ausentes, e uma
#    coluna `long` recusa floats, mesmo os de valor inteiro, com uma `MlflowException`.
# 2. Uma instância é serializada com o cloudpickle: desserializá-la pode executar código
#    arbitrário, e o pickle depende das versões do Python e das bibliotecas que o geraram. Um
#    arquivo de código é guardado como fonte legível e executado para construir o modelo.
# 3. Uma reconstrução instala as versões mais novas, não as que foram testadas com o modelo;
#    o modelo pode não carregar ou prever de outro jeito. Fixe com `==` as versões que você
#    testou.
# 4. O `LinearExplainer` recebe o flavor `sklearn`: ele precisa do próprio estimador (seus
#    coeficientes). A previsão usa o flavor `python_function`: ele confere cada entrada com a
#    assinatura, e o mesmo código faria a previsão com um modelo de qualquer biblioteca.

# %% [markdown]
# Próxima: **05 · MLflow Models, parte 2: servindo um modelo**, via REST e como imagem de contêiner.
